"""Settings for the benchmark's gunicorn: Potten's own, with the floor view added to the URLs."""

from config.settings import *  # noqa: F401,F403

ROOT_URLCONF = "bench.urls"
