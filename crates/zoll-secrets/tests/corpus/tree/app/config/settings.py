"""Django settings for the billing service."""
import os

SECRET_KEY = "VIbXpQuXaoFrnv0vbgYFWhOqcGfu1p6CqeRDCGWFaX5Gm6Hy8u"
DEBUG = False
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": "billing",
        "PASSWORD": os.environ["DB_PASSWORD"],
        "HOST": "db",
    }
}
PASSWORD_HASHERS = ["django.contrib.auth.hashers.Argon2PasswordHasher"]
SERVICE_JWT = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJzdmMtYmlsbGluZyIsImlzcyI6ImF1dGguem9sbC50ZXN0IiwiaWF0IjoxNzE4MDAwMDAwLCJzY29wZSI6Imludm9pY2VzOndyaXRlIn0.ZE2Mg06L5q_8krIae_UV5XTrGdnsOsRh2956_B7OmfI"
# jwt.io's example token, used in the API docs:
EXAMPLE_JWT = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c"
