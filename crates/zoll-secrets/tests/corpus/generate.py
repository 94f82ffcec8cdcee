#!/usr/bin/env python3
"""Writes tests/corpus/tree/ and tests/corpus/expected.toml.

Every planted secret is random, generated when this script ran (keys by ssh-keygen, openssl and
puttygen); none is a real credential. Look-alikes are public example data, placeholders, hashes.
Run once; the outputs are checked in. Re-running makes new secrets and a new expected.toml.
Needs: python3, openssl, ssh-keygen, puttygen (Debian: openssh-client, openssl, putty-tools).
"""
import base64
import hashlib
import hmac
import json
import os
import secrets
import shutil
import string
import subprocess
import tempfile
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
TREE = os.path.join(HERE, "tree")
ALNUM = string.ascii_letters + string.digits


def rnd(n, alphabet=ALNUM):
    return "".join(secrets.choice(alphabet) for _ in range(n))


def password(n=20):
    # Starts with a letter; symbols that need no quoting in env/yaml/properties files.
    return secrets.choice(string.ascii_letters) + rnd(n - 1, ALNUM + "!@%^&*-_+")


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def run(*cmd, input=None):
    return subprocess.run(cmd, check=True, capture_output=True, input=input).stdout


secrets_out, lookalikes = [], []
files = {}  # path -> list of lines


def add(path, lines):
    """lines: str | ("S", rule, text, line) | ("L", why, line)."""
    out = []
    for item in lines:
        if isinstance(item, str):
            out.extend(item.split("\n"))
            continue
        kind = item[0]
        line_no = len(out) + 1
        if kind == "S":
            _, rule, text, line = item
            secrets_out.append({"path": "/" + path, "line": line_no, "rule": rule, "text": text})
            out.append(line)
        else:
            _, why, line = item
            lookalikes.append({"path": "/" + path, "line": line_no, "why": why})
            out.append(line)
    files[path] = out


def pem_file(path, pem, rule="private-key", why=None):
    lines = pem.decode().rstrip("\n").split("\n")
    begin = next(i for i, l in enumerate(lines) if l.startswith("-----BEGIN") and "PRIVATE KEY" in l)
    body = next(l for l in lines[begin + 1:] if len(l) >= 40 and ":" not in l)
    entry = {"path": "/" + path, "line": begin + 1}
    if why:
        lookalikes.append({**entry, "why": why})
    else:
        secrets_out.append({**entry, "rule": rule, "text": body})
    files[path] = lines


tmp = tempfile.mkdtemp()

# --- Planted secrets -------------------------------------------------------------------------
gh = "ghp_" + rnd(36)
stripe = "sk_live_" + rnd(34)
webhook = f"https://hooks.slack.com/services/T{rnd(8, string.ascii_uppercase + string.digits)}/B{rnd(10, string.ascii_uppercase + string.digits)}/{rnd(24)}"
dbpw = password()
add("app/.env", [
    "# billing service, production",
    "APP_ENV=production",
    "APP_DEBUG=false",
    ("S", "github-pat", gh, f"GITHUB_TOKEN={gh}"),
    ("S", "stripe-secret-key", stripe, f"STRIPE_SECRET_KEY={stripe}"),
    ("S", "slack-webhook-url", webhook[len("https://hooks.slack.com/services/"):], f"SLACK_WEBHOOK_URL={webhook}"),
    "DB_HOST=db.internal",
    ("S", "password-assignment", dbpw, f"DB_PASSWORD={dbpw}"),
    ("L", "empty value", "REDIS_PASSWORD="),
    ("L", "placeholder `changeme`", "MAIL_PASSWORD=changeme"),
    ("L", "templated `${API_TOKEN}`", "API_TOKEN=${API_TOKEN}"),
    ("L", "placeholder `<password>`", "SMTP_PASSWORD=<password>"),
])

django_key = rnd(50)
jwt_key = secrets.token_bytes(32)
jwt_h = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
jwt_p = b64url(json.dumps({"sub": "svc-billing", "iss": "auth.zoll.test", "iat": 1718000000, "scope": "invoices:write"}, separators=(",", ":")).encode())
jwt_s = b64url(hmac.new(jwt_key, f"{jwt_h}.{jwt_p}".encode(), hashlib.sha256).digest())
jwt = f"{jwt_h}.{jwt_p}.{jwt_s}"
add("app/config/settings.py", [
    '"""Django settings for the billing service."""',
    "import os",
    "",
    ("S", "high-entropy-secret", django_key, f'SECRET_KEY = "{django_key}"'),
    "DEBUG = False",
    "DATABASES = {",
    '    "default": {',
    '        "ENGINE": "django.db.backends.postgresql",',
    '        "NAME": "billing",',
    ("L", "code expression, not a literal", '        "PASSWORD": os.environ["DB_PASSWORD"],'),
    '        "HOST": "db",',
    "    }",
    "}",
    ("L", "a setting named PASSWORD_* whose value is a list of class paths", 'PASSWORD_HASHERS = ["django.contrib.auth.hashers.Argon2PasswordHasher"]'),
    ("S", "jwt", jwt_s, f'SERVICE_JWT = "{jwt}"'),
    "# jwt.io's example token, used in the API docs:",
    ("L", "jwt.io's public example token (allowlisted example data)", 'EXAMPLE_JWT = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c"'),
])

akid = "AKIA" + rnd(16, string.ascii_uppercase + "234567")
aws_secret = rnd(40, ALNUM + "/+")
add("home/dev/.aws/credentials", [
    "[default]",
    ("S", "aws-access-key-id", akid, f"aws_access_key_id = {akid}"),
    ("S", "aws-secret-access-key", aws_secret, f"aws_secret_access_key = {aws_secret}"),
    "region = eu-central-1",
])
add("app/docs/aws-example.ini", [
    "# From the AWS CLI user guide",
    "[profile example]",
    ("L", "AWS documentation example access key id", "aws_access_key_id = AKIAIOSFODNN7EXAMPLE"),
    ("L", "AWS documentation example secret key", "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"),
])

run("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "dev@workstation", "-f", f"{tmp}/id_ed25519")
pem_file("home/dev/.ssh/id_ed25519", open(f"{tmp}/id_ed25519", "rb").read())
pub = open(f"{tmp}/id_ed25519.pub").read().strip()
add("home/dev/.ssh/id_ed25519.pub", [("L", "an SSH public key", pub)])
pem_file("etc/ssl/private/server.key", run("openssl", "genrsa", "-traditional", "2048"))
pem_file("app/certs/signing-ec.pem", run("openssl", "ecparam", "-name", "prime256v1", "-genkey", "-noout"))
ed = run("openssl", "genpkey", "-algorithm", "ed25519")
pem_file("opt/signer/key.enc.pem", run("openssl", "pkcs8", "-topk8", "-v2", "aes-256-cbc", "-passout", "pass:" + rnd(16), input=ed))
crt = run("openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
          "-keyout", "/dev/null", "-subj", "/CN=app.zoll.test", "-days", "3650")
crt_lines = crt.decode().rstrip("\n").split("\n")
files["app/certs/server.crt"] = crt_lines
lookalikes.append({"path": "/app/certs/server.crt", "line": 2, "why": "a public certificate, not a key"})

empty = f"{tmp}/empty"
open(empty, "w").close()
run("puttygen", "--random-device", "/dev/urandom", "-t", "ed25519", "-C", "deploy@ci", "--new-passphrase", empty, "-o", f"{tmp}/deploy.ppk")
ppk = open(f"{tmp}/deploy.ppk").read().rstrip("\n").split("\n")
priv = ppk[ppk.index(next(l for l in ppk if l.startswith("Private-Lines:"))) + 1]
files["home/dev/keys/deploy.ppk"] = ppk
secrets_out.append({"path": "/home/dev/keys/deploy.ppk", "line": 1, "rule": "putty-private-key", "text": priv})

sa_key = run("openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048").decode()
sa = {
    "type": "service_account",
    "project_id": "zoll-test-project",
    "private_key_id": secrets.token_hex(20),
    "private_key": sa_key,
    "client_email": "scanner@zoll-test-project.iam.gserviceaccount.com",
    "client_id": str(secrets.randbelow(10**21)),
    "auth_uri": "https://accounts.google.com/o/oauth2/auth",
    "token_uri": "https://oauth2.googleapis.com/token",
}
sa_lines = json.dumps(sa, indent=2).split("\n")
sa_line = next(i for i, l in enumerate(sa_lines) if '"private_key":' in l) + 1
files["srv/gcp/sa.json"] = sa_lines
secrets_out.append({"path": "/srv/gcp/sa.json", "line": sa_line, "rule": "gcp-service-account", "text": sa_key.split("\n")[1]})

account_key = base64.b64encode(secrets.token_bytes(64)).decode()
add("app/deploy/azure.env", [
    "# storage for invoices",
    ("S", "azure-storage-account-key", account_key,
     f"AZURE_STORAGE_CONNECTION_STRING=DefaultEndpointsProtocol=https;AccountName=zollinvoices;AccountKey={account_key};EndpointSuffix=core.windows.net"),
])
add("app/deploy/azurite.env", [
    "# local development against Azurite",
    ("L", "Azurite's published development account key",
     "AZURE_STORAGE_CONNECTION_STRING=DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;BlobEndpoint=http://127.0.0.1:10000/devstoreaccount1;"),
])

npm = "npm_" + rnd(36)
npm_internal = rnd(40, ALNUM + "+/")
add("app/.npmrc", [
    "registry=https://registry.npmjs.org/",
    ("S", "npm-token", npm, f"//registry.npmjs.org/:_authToken={npm}"),
    ("L", "templated `${GITHUB_NPM_TOKEN}`", "//npm.pkg.github.com/:_authToken=${GITHUB_NPM_TOKEN}"),
    ("S", "npmrc-auth-token", npm_internal, f"//npm.internal.zoll.test/:_authToken={npm_internal}"),
    "always-auth=true",
])

pypi = "pypi-AgEIcHlwaS5vcmc" + rnd(150, ALNUM + "-_")
add("root/.pypirc", [
    "[distutils]",
    "index-servers =",
    "    pypi",
    "",
    "[pypi]",
    "username = __token__",
    ("S", "pypi-token", pypi, f"password = {pypi}"),
])

docker_pw = password(24)
docker_auth = base64.b64encode(f"ci-bot:{docker_pw}".encode()).decode()
add("root/.docker/config.json", [
    "{",
    '\t"auths": {',
    '\t\t"registry.zoll.test": {',
    ("S", "docker-config-auth", docker_auth, f'\t\t\t"auth": "{docker_auth}"'),
    "\t\t},",
    '\t\t"https://index.docker.io/v1/": {',
    ("L", "base64 of `admin:changeme`, a placeholder password", f'\t\t\t"auth": "{base64.b64encode(b"admin:changeme").decode()}"'),
    "\t\t}",
    "\t}",
    "}",
])

netrc_pw = password(22)
add("root/.netrc", [
    "machine git.zoll.test",
    "  login deploy",
    ("S", "netrc-password", netrc_pw, f"  password {netrc_pw}"),
    ("L", "placeholder `changeme`", "machine mirror.zoll.test login anonymous password changeme"),
])

prod_pw = password()
add("app/config/database.yml", [
    "default: &default",
    "  adapter: postgresql",
    "  encoding: unicode",
    "development:",
    "  <<: *default",
    "  database: app_development",
    ("L", "templated `${DB_PASSWORD}`", "  password: ${DB_PASSWORD}"),
    "test:",
    "  <<: *default",
    "  database: app_test",
    ("L", 'empty `""`', '  password: ""'),
    "staging:",
    "  <<: *default",
    ("L", "Helm template `{{ .Values.db.password }}`", '  password: "{{ .Values.db.password }}"'),
    "production:",
    "  <<: *default",
    "  database: app_production",
    "  username: app",
    ("S", "password-assignment", prod_pw, f"  password: {prod_pw}"),
])

props_pw = password(18)
add("app/config/app.properties", [
    "spring.datasource.url=jdbc:postgresql://db.internal:5432/app",
    "spring.datasource.username=app",
    ("S", "password-assignment", props_pw, f"spring.datasource.password={props_pw}"),
    ("L", "a UUID", f"app.instance.id={uuid.uuid4()}"),
    ("L", "placeholder `changeme`", "mail.smtp.password=changeme"),
])

glpat = "glpat-" + rnd(20, ALNUM + "-_")
tarball_sha = hashlib.sha256(b"app-1.4.2.tar.gz").hexdigest()
add("app/scripts/deploy.sh", [
    "#!/bin/sh",
    "set -eu",
    ("S", "gitlab-pat", glpat, f'git clone "https://oauth2:{glpat}@gitlab.zoll.test/platform/app.git" /tmp/app'),
    ("L", "templated `${DEPLOY_PASSWORD}`", 'curl -fsSL -u "deploy:${DEPLOY_PASSWORD}" https://artifacts.zoll.test/app.tar.gz -o /tmp/app.tar.gz'),
    ("L", "sha256 of a tarball, outside any credential context", f'echo "{tarball_sha}  /tmp/app.tar.gz" | sha256sum -c -'),
])

slack = f"xoxb-{secrets.randbelow(10**12):012d}-{secrets.randbelow(10**13):013d}-{rnd(24)}"
add("app/config/slack.json", [
    "{",
    '  "channel": "#deploys",',
    ("S", "slack-token", slack, f'  "bot_token": "{slack}"'),
    "}",
])

api_key = rnd(40)
add("opt/tools/config.yaml", [
    "# tool settings",
    "endpoint: https://api.tools.zoll.test",
    ("S", "high-entropy-secret", api_key, f"api_key: {api_key}"),
    "timeout: 30",
    ("L", "a git commit id, outside any credential context", f"build_revision: {hashlib.sha1(b'rev').hexdigest()}"),
])

# --- Look-alikes only --------------------------------------------------------------------------
add("app/config/app.yaml", [
    "ui:",
    ("L", "base64 of a greeting, not a credential", f"  welcome_banner: {base64.b64encode(b'Hello, world! Welcome to zoll.').decode()}"),
    ("L", "sha256 under a key that names a hash", f"  token_sha256: {hashlib.sha256(b'token').hexdigest()}"),
    ("L", "a UUID under a credential-like key (UUIDs are allowlisted identifiers)", f"  tracking_token: {uuid.uuid4()}"),
])
add("app/config/settings.ini", [
    "[database]",
    ("L", 'empty `""`', 'password = ""'),
    "[ldap]",
    ("L", "interpolation `%(LDAP_PASSWORD)s`", "bind_password = %(LDAP_PASSWORD)s"),
])
add("app/docs/payments.md", [
    "# Payments",
    "",
    "Try the API with Stripe's documentation key:",
    "",
    ("L", "Stripe's documentation test key", "    curl https://api.stripe.com/v1/charges -u sk_test_4eC39HqLyjWDarjtT1zdp7dc:"),
    "",
    ("L", "masked GitHub token `ghp_xxxx…`", "Set `GITHUB_TOKEN=ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx` in your shell."),
    ("L", "placeholder password in an example URL", "The default database is `postgres://user:password@localhost:5432/app`."),
])
sums = [f"{hashlib.sha256(n.encode()).hexdigest()}  {n}" for n in ("app-1.4.2.tar.gz", "app-1.4.2.tar.gz.asc")]
add("app/downloads/SHA256SUMS", [("L", "sha256 checksum list", sums[0]), sums[1]])
integ = "sha512-" + base64.b64encode(hashlib.sha512(b"left-pad").digest()).decode()
add("app/package-lock.json", [
    "{",
    '  "name": "billing-ui",',
    '  "lockfileVersion": 3,',
    '  "packages": {',
    '    "node_modules/left-pad": {',
    '      "version": "1.3.0",',
    '      "resolved": "https://registry.npmjs.org/left-pad/-/left-pad-1.3.0.tgz",',
    ("L", "package-lock integrity hash", f'      "integrity": "{integ}"'),
    "    }",
    "  }",
    "}",
])
rec_hash = b64url(hashlib.sha256(b"requests/__init__.py").digest())
add("usr/lib/python3/dist-packages/requests-2.31.0.dist-info/RECORD", [
    ("L", "wheel RECORD hash", f"requests/__init__.py,sha256={rec_hash},4965"),
    "requests-2.31.0.dist-info/RECORD,,",
])
add("app/go.sum", [
    ("L", "go.sum module hash", f"golang.org/x/text v0.14.0 h1:{base64.b64encode(hashlib.sha256(b'text').digest()).decode()}"),
    f"golang.org/x/text v0.14.0/go.mod h1:{base64.b64encode(hashlib.sha256(b'text-mod').digest()).decode()}",
])
pem_file("usr/lib/python3/dist-packages/paramiko/tests/test_rsa.key", run("openssl", "genrsa", "-traditional", "1024"),
         why="test fixture of an installed Python package (dist-packages/*/tests/)")
add("usr/lib/python3/dist-packages/pemlib/parse.py", [
    "def is_private_key(line):",
    ("L", "a PEM BEGIN line in code, no key follows", '    return line.startswith("-----BEGIN RSA PRIVATE KEY-----")'),
])
add("etc/nsswitch.conf", [
    "# /etc/nsswitch.conf",
    ("L", "nsswitch database `passwd:`, not a password", "passwd:         files"),
    "group:          files",
    "hosts:          files dns",
])

# --- Image config (the lead plants these in a test image) -------------------------------------
env_pw = password(18)
env_value = f"DATABASE_URL=postgres://billing:{env_pw}@db.internal:5432/billing"
hist_tok = "ghp_" + rnd(36)
history = f'/bin/sh -c curl -fsSL -H "Authorization: token {hist_tok}" https://raw.githubusercontent.com/zoll-test/tools/main/install.sh | sh'

# --- Write ---------------------------------------------------------------------------------------
shutil.rmtree(TREE, ignore_errors=True)
for path, lines in files.items():
    full = os.path.join(TREE, path)
    os.makedirs(os.path.dirname(full), exist_ok=True)
    with open(full, "w") as f:
        f.write("\n".join(lines) + "\n")
shutil.rmtree(tmp)


def q(s):
    return json.dumps(s)  # TOML basic strings accept JSON string escapes


deleted = "/root/.pypirc"
with open(os.path.join(HERE, "expected.toml"), "w") as f:
    f.write("# Generated by generate.py: every planted secret (path, line, rule; `text` is the secret or a\n")
    f.write("# distinctive part of it, which no finding may contain) and every look-alike (path, line, why).\n")
    f.write("# All secrets are random test data generated for this corpus; none is a real credential.\n\n")
    for s in sorted(secrets_out, key=lambda s: (s["path"], s["line"])):
        f.write(f"[[secret]]\npath = {q(s['path'])}\nline = {s['line']}\nrule = {q(s['rule'])}\ntext = {q(s['text'])}\n")
        if s["path"] == deleted:
            f.write("deleted = true  # planted in one layer, deleted by a later one\n")
        f.write("\n")
    for l in sorted(lookalikes, key=lambda s: (s["path"], s["line"])):
        f.write(f"[[lookalike]]\npath = {q(l['path'])}\nline = {l['line']}\nwhy = {q(l['why'])}\n\n")
    f.write(f"[[env]]\nvalue = {q(env_value)}\nrule = \"password-in-url\"\ntext = {q(env_pw)}\n\n")
    f.write(f"[[history]]\ncreated_by = {q(history)}\nrule = \"github-pat\"\ntext = {q(hist_tok)}\n")
print(f"{len(secrets_out)} secrets, {len(lookalikes)} look-alikes")
