"""memreap exporter --web.config.file: TLS, client certificates, basic auth and response headers
in the exporter-toolkit's format, checked with a real Prometheus, curl and Python's ssl; the
certificates are made here by openssl, the bcrypt hashes by htpasswd."""
import atexit
import json
import os
import re
import shutil
import socket
import ssl
import subprocess
import tempfile
import time
import urllib.parse

from mrtest import MEMREAP, ROOT, check
from test_exporter import free_port, get, stop

_pki = {}
PASSWORD = "s3cret-scrape"


def run(*cmd, **kw):
    return subprocess.run(cmd, capture_output=True, text=True, check=True, timeout=30, **kw)


def make_cert(d, name, serial, ca=None, san="IP:127.0.0.1", usage="serverAuth"):
    """An EC P-256 key and certificate in d: self-signed (a CA) or signed by ca."""
    key, cert = os.path.join(d, name + ".key"), os.path.join(d, name + ".pem")
    args = ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
            "-nodes", "-keyout", key, "-out", cert, "-days", "2", "-subj", f"/CN={name}",
            "-set_serial", str(serial)]
    if ca:
        args += ["-CA", ca + ".pem", "-CAkey", ca + ".key", "-addext", f"subjectAltName={san}",
                 "-addext", f"extendedKeyUsage={usage}", "-addext", "basicConstraints=CA:FALSE"]
    run(*args)
    return cert, key


def pki():
    """Two CAs; server certificates (serials 0x1001, 0x1002), clients of each CA; a bcrypt hash."""
    if _pki:
        return _pki
    d = tempfile.mkdtemp(prefix="memreap-pki-")
    atexit.register(shutil.rmtree, d, True)
    for ca in ("ca", "otherca"):
        make_cert(d, ca, 1)
    ca, other = os.path.join(d, "ca"), os.path.join(d, "otherca")
    make_cert(d, "server1", 0x1001, ca)
    make_cert(d, "server2", 0x1002, ca)
    make_cert(d, "client", 0x2001, ca, san="DNS:scraper", usage="clientAuth")
    make_cert(d, "stranger", 0x3001, other, san="DNS:stranger", usage="clientAuth")
    line = run("htpasswd", "-nbB", "prometheus", PASSWORD).stdout.strip()
    _pki.update(dir=d, hash=line.split(":", 1)[1])
    return _pki


def path(name):
    return os.path.join(pki()["dir"], name)


def write(name, text):
    """Replace a file at once (a rename), as a secret's update or cert-manager would."""
    tmp = path(name + ".tmp")
    with open(tmp, "w") as f:
        f.write(text)
    os.rename(tmp, path(name))


def web_config(extra_tls="", users=True, headers=True, cert="server.pem", key="server.key"):
    text = f"tls_server_config:\n  cert_file: {cert}\n  key_file: {key}\n{extra_tls}"
    if users:
        text += f"basic_auth_users:\n  prometheus: '{pki()['hash']}'\n"
    if headers:
        text += ("http_server_config:\n  headers:\n    X-Frame-Options: deny\n"
                 "    Content-Security-Policy: \"default-src 'none'\"\n")
    return text


def start(config_name, *args):
    """memreap exporter with the web config; returns (process, https base URL)."""
    p = subprocess.Popen([MEMREAP, "exporter", "--listen", "127.0.0.1:0", "--refresh", "0.5",
                          "--web.config.file", path(config_name), *args],
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    atexit.register(stop, p)
    line = p.stderr.readline()
    m = re.search(r"serving (https://[^/\s]+)/", line)
    if not m:
        stop(p)
        check(False, f"no 'serving https' line: {line!r} (rc {p.poll()}) {p.stderr.read()!r}")
    return p, m.group(1)


def curl(url, *args):
    """(curl's exit status, HTTP status, response headers, body) of one request."""
    p = subprocess.run(["curl", "-sS", "--max-time", "10", "--cacert", path("ca.pem"),
                        "-D", "-", url, *args], capture_output=True, text=True, timeout=20)
    head, _, body = p.stdout.partition("\r\n\r\n")
    m = re.match(r"HTTP/[\d.]+ (\d+)", head)
    headers = {k.lower(): v for k, v in re.findall(r"^([\w-]+): (.*?)\r?$", head, re.M)}
    return p.returncode, int(m.group(1)) if m else None, headers, body


def tls_exporter():
    """One exporter over TLS with basic auth and headers, for the tests that only read it."""
    if "exporter" not in _pki:
        shutil.copy(path("server1.pem"), path("server.pem"))
        shutil.copy(path("server1.key"), path("server.key"))
        write("web.yml", web_config())
        _pki["exporter"], _pki["base"] = start("web.yml")
    return _pki["base"]


def test_basic_auth_headers_and_plain_http_refused():
    base = tls_exporter()
    auth = f"prometheus:{PASSWORD}"
    rc, status, headers, body = curl(base + "/metrics", "-u", auth)
    check(rc == 0 and status == 200 and
          headers.get("content-type", "").startswith("text/plain; version=0.0.4"),
          f"right password: {rc} {status} {headers}")
    check(headers.get("x-frame-options") == "deny" and
          headers.get("content-security-policy") == "default-src 'none'",
          f"configured headers on a 200: {headers}")
    for args, what in ((["-u", "prometheus:wrong"], "wrong password"), ([], "no credentials"),
                       (["-u", f"nobody:{PASSWORD}"], "unknown user")):
        rc, status, headers, _ = curl(base + "/metrics", *args)
        check(rc == 0 and status == 401, f"{what}: curl {rc}, HTTP {status}")
        check(headers.get("www-authenticate", "").startswith("Basic"),
              f"{what}: WWW-Authenticate: {headers}")
        check(headers.get("x-frame-options") == "deny", f"{what}: headers on a 401 {headers}")
    rc, status, _, _ = curl(base + "/healthz", "-u", auth)
    check(status == 200, f"/healthz with credentials: {status}")
    rc, status, _, _ = curl("http://" + base[len("https://"):] + "/metrics", "-u", auth)
    check(rc != 0 and status is None, f"plain HTTP to the TLS port: curl {rc}, HTTP {status}")


def prometheus_config(base):
    """deploy/prometheus/tls-scrape.yml (promtool-clean as it is), pointed at this exporter
    and this test's CA."""
    example = os.path.join(ROOT, "deploy", "prometheus", "tls-scrape.yml")
    p = subprocess.run(["promtool", "check", "config", example], capture_output=True, text=True,
                       timeout=30)
    check(p.returncode == 0, f"promtool check config {example}: {p.stdout}{p.stderr}")
    with open(example) as f:
        text = f.read()
    with open(path("password"), "w") as f:
        f.write(PASSWORD)
    text = (text.replace("/etc/prometheus/memreap-ca.crt", path("ca.pem"))
            .replace("/etc/prometheus/memreap-password", path("password"))
            .replace('"node-a.example.com:9747", "node-b.example.com:9747"',
                     f'"{base[len("https://"):]}"')
            .replace("scrape_interval: 15s", "scrape_interval: 1s"))
    with open(path("prometheus.yml"), "w") as f:
        f.write(text)
    p = subprocess.run(["promtool", "check", "config", path("prometheus.yml")],
                       capture_output=True, text=True, timeout=30)
    check(p.returncode == 0, f"promtool check config: {p.stdout}{p.stderr}")
    return path("prometheus.yml")


def test_prometheus_scrapes_over_tls_with_basic_auth():
    base = tls_exporter()
    config, port = prometheus_config(base), free_port()
    data = tempfile.mkdtemp(prefix="memreap-prom-tls-")
    prom = subprocess.Popen(["prometheus", f"--config.file={config}",
                             f"--storage.tsdb.path={data}", "--log.level=warn",
                             f"--web.listen-address=127.0.0.1:{port}"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline, seen = time.time() + 40, None
        while time.time() < deadline:
            try:
                status, body = get(f"http://127.0.0.1:{port}/api/v1/targets", timeout=2)
                targets = json.loads(body)["data"]["activeTargets"] if status == 200 else []
                seen = [(t["scrapeUrl"], t["health"], t["lastError"]) for t in targets]
                if seen and seen[0][1] == "up":
                    break
            except OSError:
                pass
            time.sleep(0.3)
        check(seen and seen[0][1] == "up" and seen[0][0] == base + "/metrics",
              f"Prometheus's target: {seen}")
        q = urllib.parse.urlencode({"query": 'count({__name__=~"memreap_.+"})'})
        doc = json.loads(get(f"http://127.0.0.1:{port}/api/v1/query?{q}")[1])
        check(doc["data"]["result"] and float(doc["data"]["result"][0]["value"][1]) > 10,
              f"memreap series scraped over TLS: {doc}")
    finally:
        stop(prom)
        shutil.rmtree(data, True)


def test_deploy_web_config_example_is_valid():
    """deploy/web-config.yml with this test's certificate paths and hash: served as it says."""
    with open(os.path.join(ROOT, "deploy", "web-config.yml")) as f:
        text = f.read()
    text = (text.replace("/etc/memreap/tls/server.crt", path("server1.pem"))
            .replace("/etc/memreap/tls/server.key", path("server1.key")))
    text = re.sub(r"prometheus: \S+", f"prometheus: '{pki()['hash']}'", text)
    write("example.yml", text)
    p, base = start("example.yml")
    try:
        rc, status, headers, _ = curl(base + "/healthz", "-u", f"prometheus:{PASSWORD}")
        check(status == 200 and headers.get("x-content-type-options") == "nosniff",
              f"the example: {rc} {status} {headers}")
    finally:
        stop(p)
    # The same file, as it is, is node_exporter's (exporter-toolkit's own reading of it).
    port = free_port()
    node = subprocess.Popen(["prometheus-node-exporter", "--collector.disable-defaults",
                             f"--web.listen-address=127.0.0.1:{port}",
                             f"--web.config.file={path('example.yml')}"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline, status = time.time() + 15, None
        while status is None and time.time() < deadline and node.poll() is None:
            rc, status, headers, _ = curl(f"https://127.0.0.1:{port}/metrics", "-u",
                                          f"prometheus:{PASSWORD}")
            if status is None:
                time.sleep(0.1)
        check(status == 200 and headers.get("x-content-type-options") == "nosniff",
              f"node_exporter with the same file: {status} {headers} (rc {node.poll()})")
        check(curl(f"https://127.0.0.1:{port}/metrics")[1] == 401, "node_exporter: 401")
    finally:
        stop(node)


def test_client_certificates_and_tls_versions():
    """One exporter; its config rewritten between connections (each one a reload)."""
    shutil.copy(path("server1.pem"), path("mtls.pem"))
    shutil.copy(path("server1.key"), path("mtls.key"))
    write("mtls.yml", web_config("  client_auth_type: RequireAndVerifyClientCert\n"
                                 "  client_ca_file: ca.pem\n", users=False, headers=False,
                                 cert="mtls.pem", key="mtls.key"))
    p, base = start("mtls.yml")
    client = ["--cert", path("client.pem"), "--key", path("client.key")]
    stranger = ["--cert", path("stranger.pem"), "--key", path("stranger.key")]
    try:
        # (client_auth_type, {client: accepted?}); no cert, our CA's, another CA's
        for mode, want in (("RequireAndVerifyClientCert", (False, True, False)),
                           ("VerifyClientCertIfGiven", (True, True, False)),
                           ("RequireAnyClientCert", (False, True, True)),
                           ("RequestClientCert", (True, True, True))):
            write("mtls.yml", web_config(f"  client_auth_type: {mode}\n"
                                         "  client_ca_file: ca.pem\n", users=False,
                                         headers=False, cert="mtls.pem", key="mtls.key"))
            for args, ok, who in (([], want[0], "no cert"), (client, want[1], "our CA's"),
                                  (stranger, want[2], "another CA's")):
                rc, status, _, _ = curl(base + "/healthz", *args)
                check((status == 200) == ok and (rc == 0) == ok,
                      f"{mode}, {who}: curl {rc}, HTTP {status}, wanted accepted={ok}")
        # The client CA replaced: the other CA's client gets in, ours no longer.
        write("mtls.yml", web_config("  client_auth_type: RequireAndVerifyClientCert\n"
                                     "  client_ca_file: otherca.pem\n", users=False,
                                     headers=False, cert="mtls.pem", key="mtls.key"))
        check(curl(base + "/healthz", *stranger)[1] == 200, "the new CA's client gets in")
        check(curl(base + "/healthz", *client)[0] != 0, "the old CA's client no longer does")
        # client_allowed_sans: the client's certificate names DNS:scraper.
        for sans, ok in (("[scraper]", True), ("[other, 127.0.0.1]", False)):
            write("mtls.yml", web_config("  client_auth_type: RequireAndVerifyClientCert\n"
                                         "  client_ca_file: ca.pem\n"
                                         f"  client_allowed_sans: {sans}\n", users=False,
                                         headers=False, cert="mtls.pem", key="mtls.key"))
            rc, status, _, _ = curl(base + "/healthz", *client)
            check((status == 200) == ok and (rc == 0) == ok,
                  f"client_allowed_sans {sans}: curl {rc}, HTTP {status}, wanted {ok}")
        write("mtls.yml", web_config("  min_version: TLS13\n", users=False, headers=False,
                                     cert="mtls.pem", key="mtls.key"))
        rc, status, _, _ = curl(base + "/healthz", "--tls-max", "1.2")
        check(rc != 0 and status is None, f"TLS13 only, a TLS 1.2 client: curl {rc} {status}")
        rc, status, _, _ = curl(base + "/healthz", "--tlsv1.3")
        check(status == 200, f"TLS13 only, a TLS 1.3 client: curl {rc} {status}")
        write("mtls.yml", web_config("  min_version: TLS13\n  curve_preferences: [CurveP384]\n",
                                     users=False, headers=False, cert="mtls.pem", key="mtls.key"))
        rc, status, _, _ = curl(base + "/healthz", "--curves", "X25519")
        check(rc != 0 and status is None, f"P-384 only, an X25519-only client: curl {rc} {status}")
        rc, status, _, _ = curl(base + "/healthz", "--curves", "P-384")
        check(status == 200, f"P-384 only, a P-384 client: curl {rc} {status}")
    finally:
        stop(p)


def serial_seen(base):
    """The serial number of the certificate a new connection gets (verified against the CA)."""
    host, port = base[len("https://"):].rsplit(":", 1)
    ctx = ssl.create_default_context(cafile=path("ca.pem"))
    with socket.create_connection((host, int(port)), timeout=10) as raw:
        with ctx.wrap_socket(raw, server_hostname=host) as s:
            return int(s.getpeercert()["serialNumber"], 16)


def test_certificate_rotation_without_restart():
    shutil.copy(path("server1.pem"), path("rot.pem"))
    shutil.copy(path("server1.key"), path("rot.key"))
    write("rot.yml", web_config(users=False, headers=False, cert="rot.pem", key="rot.key"))
    p, base = start("rot.yml")
    try:
        check(serial_seen(base) == 0x1001, "the first certificate")
        with open(path("server2.key")) as f:
            write("rot.key", f.read())
        with open(path("server2.pem")) as f:
            write("rot.pem", f.read())
        check(serial_seen(base) == 0x1002, "a new connection after the rotation: serial 0x1002")
        # Users added to the file: the next request needs the password.
        check(curl(base + "/healthz")[1] == 200, "no users yet: no password needed")
        write("rot.yml", web_config(users=True, headers=False, cert="rot.pem", key="rot.key"))
        check(curl(base + "/healthz")[1] == 401, "users added: a request without them is 401")
        check(curl(base + "/healthz", "-u", f"prometheus:{PASSWORD}")[1] == 200, "and with: 200")
        # A broken file keeps the last valid configuration in force, and says so once.
        write("rot.pem", "not a certificate\n")
        check(serial_seen(base) == 0x1002 and serial_seen(base) == 0x1002, "kept after a bad cert")
        write("rot.yml", "basic_auth_users:\n")
        check(serial_seen(base) == 0x1002, "TLS is not turned off by a reload")
        check(p.poll() is None, "still running")
    finally:
        stop(p)
    err = p.stderr.read()
    check(p.returncode == 0, f"SIGTERM: status {p.returncode}, {err!r}")
    check(err.count("reloaded") == 2 and err.count("cert_file: no PEM certificate") == 1 and
          err.count("TLS cannot be turned off without a restart; the last valid one stays") == 1,
          f"stderr: {err!r}")


def bad_file(text, expected):
    """memreap exporter with this web config: exit 1, one line, and not a bpf() call made
    (traced apart: a sanitizer's leak check cannot run under ptrace)."""
    write("bad.yml", text)
    cmd = [MEMREAP, "exporter", "--web.config.file", path("bad.yml")]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=20)
    want = f"memreap: web config {path('bad.yml')}: {expected}\n"
    check(p.returncode == 1 and p.stderr == want,
          f"rc {p.returncode}, stderr {p.stderr!r}, wanted {want!r}")
    trace = path("bad.strace")
    subprocess.run(["strace", "-f", "-qq", "-e", "trace=bpf", "-o", trace, *cmd],
                   capture_output=True, timeout=20,
                   env=dict(os.environ, ASAN_OPTIONS="detect_leaks=0"))
    with open(trace) as f:
        calls = [l for l in f if "bpf(" in l]
    check(not calls, f"bpf() called before the error: {calls[:2]}")


def test_bad_web_config_files():
    cert = "  cert_file: server1.pem\n  key_file: server1.key\n"
    good_hash = pki()["hash"]
    for text, expected in (
        ("tls_server_config:\n  cert_file: /nonexistent/cert.pem\n  key_file: server1.key\n",
         "tls_server_config.cert_file: cannot read /nonexistent/cert.pem: "
         "No such file or directory"),
        (f"tls_server_config:\n{cert}  cert_fil: x\n", "unknown key tls_server_config.cert_fil"),
        ("basic_auth_users:\n  alice: [unclosed\n",
         "line 3 column 1: did not find expected ',' or ']' while parsing a flow sequence"),
        ("basic_auth_users:\n  alice: secret\n",
         "basic_auth_users.alice: not a bcrypt hash (make one with htpasswd -nbB)"),
        ("basic_auth_users:\n  alice: '$6$salt$c2hhNTEy'\n",
         "basic_auth_users.alice: not a bcrypt hash (make one with htpasswd -nbB)"),
        (f"tls_server_config:\n{cert}  client_auth_type: Sometimes\n",
         "tls_server_config.client_auth_type: needs NoClientCert, RequestClientCert, "
         "RequireAnyClientCert, VerifyClientCertIfGiven or RequireAndVerifyClientCert"),
        (f"tls_server_config:\n{cert}  min_version: TLS14\n",
         "tls_server_config.min_version: needs TLS10, TLS11, TLS12 or TLS13"),
        (f"tls_server_config:\n{cert}  client_auth_type: RequireAndVerifyClientCert\n",
         "tls_server_config.client_auth_type: needs client_ca_file to verify client "
         "certificates against"),
        (f"tls_server_config:\n  cert_file: server1.pem\n  key_file: server2.key\n",
         "tls_server_config: cert_file and key_file do not match"),
        ("tls_server_config:\n  key_file: server1.key\n",
         "tls_server_config: missing one of cert or cert_file"),
        (f"tls_server_config:\n{cert}  client_allowed_sans: [scraper]\n",
         "tls_server_config.client_allowed_sans: needs client_auth_type RequireAnyClientCert "
         "or RequireAndVerifyClientCert"),
        (f"tls_server_config:\n{cert}  curve_preferences: [X25519, CurveP999]\n",
         "tls_server_config.curve_preferences: needs CurveP256, CurveP384, CurveP521 or X25519, "
         "not 'CurveP999'"),
        (f"tls_server_config:\n{cert}  cipher_suites: [TLS_AES_128_GCM_SHA256]\n",
         "tls_server_config.cipher_suites: not supported by memreap (README \"Exporter\")"),
        ("http_server_config:\n  headers:\n    Server: memreap\n",
         "http_server_config.headers: header Server cannot be set (Strict-Transport-Security, "
         "X-Content-Type-Options, X-Frame-Options, X-XSS-Protection and "
         "Content-Security-Policy can)"),
        ("http_server_config:\n  headers:\n    X-Frame-Options: allow\n",
         "http_server_config.headers.X-Frame-Options: needs deny or sameorigin, not 'allow'"),
        (f"basic_auth_users:\n  a: '{good_hash}'\n  a: '{good_hash}'\n",
         "basic_auth_users: duplicate key a"),
        ("- a list\n", "the file needs a mapping of keys"),
    ):
        bad_file(text, expected)
    p = subprocess.run([MEMREAP, "exporter", "--web.config.file", "/nonexistent.yml"],
                       capture_output=True, text=True, timeout=10)
    check(p.returncode == 1 and p.stderr == "memreap: web config /nonexistent.yml: cannot read "
          "it: No such file or directory\n", f"missing file: {p.returncode} {p.stderr!r}")


def test_non_loopback_warning_points_at_web_config():
    p = subprocess.Popen([MEMREAP, "exporter", "--listen", "0.0.0.0:0"],
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    atexit.register(stop, p)
    try:
        lines = [p.stderr.readline(), p.stderr.readline()]
    finally:
        stop(p)
    check("serving http://0.0.0.0:" in lines[0], f"first line: {lines[0]!r}")
    check("reachable from other machines" in lines[1] and "--web.config.file" in lines[1],
          f"the warning: {lines[1]!r}")
