"""A Content-Security-Policy on every response: the service loads nothing from elsewhere, and no
script runs but the project's own files, so an injected <script> or on*-attribute does nothing."""

from django.utils.cache import patch_cache_control

POLICY = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])
# Django's admin writes a few style attributes of its own.
ADMIN_POLICY = POLICY.replace("style-src 'self'", "style-src 'self' 'unsafe-inline'")


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if "Content-Security-Policy" not in response:
            admin = request.path.startswith("/admin/")
            response["Content-Security-Policy"] = ADMIN_POLICY if admin else POLICY
        return response


class NoStoreForAuthenticatedMiddleware:
    """`Cache-Control: no-store, private` on every response to a signed-in person (or to the request that
    signed them out), so no browser or proxy cache keeps a page with personal data."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        was_authenticated = request.user.is_authenticated
        response = self.get_response(request)
        if was_authenticated or request.user.is_authenticated:
            patch_cache_control(response, no_store=True, private=True)
        return response
