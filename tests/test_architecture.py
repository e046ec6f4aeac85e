"""The architecture is checked, not hoped for (docs/architecture.md).

- The layers contract (pyproject.toml, [tool.importlinter]) holds on the real code: the apps depend one way,
  workflows | catalogue > reviewers > grants > notifications > accounts > common, and only the edge (views,
  admin, urls, tasks, templatetags, management commands, the allauth adapter) may import upwards.
- The contract is not vacuous: a back-edge planted in a copy of the code, even one hidden inside a function,
  breaks it.
- ruff (pyflakes and import-outside-toplevel) passes, and it does flag an import inside a function.
"""

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
APPS = ("common", "accounts", "notifications", "grants", "reviewers", "workflows", "catalogue")


def lint_imports(cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([str(BIN / "lint-imports"), "--no-cache"], cwd=cwd, capture_output=True, text=True,
                          env={"PYTHONPATH": str(cwd), "PATH": str(BIN), "LANG": "C.UTF-8"}, timeout=120)


def code_copy(tmp_path: Path) -> Path:
    """The apps' Python files and the configuration, copied (the copy comes first on the path)."""
    copy = tmp_path / "code"
    for app in APPS:
        shutil.copytree(ROOT / app, copy / app, ignore=lambda d, names: [
            n for n in names if not n.endswith(".py") and not (Path(d) / n).is_dir() or n == "__pycache__"])
    shutil.copy(ROOT / "pyproject.toml", copy / "pyproject.toml")
    return copy


def test_the_layers_contract_holds_on_the_code():
    result = lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Contracts: 1 kept, 0 broken." in result.stdout


def test_a_back_edge_inside_a_function_breaks_the_contract(tmp_path):
    # given: a copy of the code whose lowest layer imports an app above it, inside a function
    copy = code_copy(tmp_path)
    assert lint_imports(copy).returncode == 0  # the copy as it is keeps the contract
    with (copy / "common" / "errors.py").open("a") as module:
        module.write("\n\ndef planted():\n    from workflows.flows import ApplicationFlow\n\n    return ApplicationFlow\n")
    # when: the contract is checked
    result = lint_imports(copy)
    # then: it is broken, and says where
    assert result.returncode == 1, result.stdout + result.stderr
    assert "common is not allowed to import workflows" in result.stdout
    assert "common.errors -> workflows.flows" in result.stdout


def test_a_view_may_import_upwards_but_notifications_may_not_import_grants(tmp_path):
    # given: a view that imports the workflow (the edge may), and notifications importing grants (may not)
    copy = code_copy(tmp_path)
    with (copy / "grants" / "views" / "applicant.py").open("a") as module:
        module.write("\nfrom workflows import reminders as _edge_may_import_upwards  # noqa\n")
    assert lint_imports(copy).returncode == 0
    with (copy / "notifications" / "services.py").open("a") as module:
        module.write("\nfrom grants.models import Application as _planted  # noqa\n")
    # when / then
    result = lint_imports(copy)
    assert result.returncode == 1
    assert "notifications.services -> grants.models" in result.stdout


def ruff(*args, cwd=ROOT, stdin=None) -> subprocess.CompletedProcess:
    return subprocess.run([str(BIN / "ruff"), "check", "--no-cache", *args], cwd=cwd, capture_output=True,
                          text=True, input=stdin, timeout=120)


def test_ruff_passes():
    result = ruff(".")
    assert result.returncode == 0, result.stdout + result.stderr


def test_ruff_refuses_an_import_inside_a_function_outside_the_documented_cases():
    planted = "def f():\n    from grants.models import Application\n\n    return Application\n"
    result = ruff("--stdin-filename", "grants/services/planted.py", "-", stdin=planted)
    assert result.returncode == 1
    assert "PLC0415" in result.stdout
    assert ruff("--stdin-filename", "tests/test_planted.py", "-", stdin=planted).returncode == 0
