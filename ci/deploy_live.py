#!/usr/bin/env python3
"""compose.yaml's `replicas` profile and the Kubernetes replicas overlay, run for real.

ci/deploy-check.sh starts this inside a network, mount and PID namespace of its own (unshare),
where only loopback exists, so nothing here can reach or disturb anything else. No container
images can be pulled on this machine, so each service runs as the process its image would
run, configured from the files themselves:

- the compose profile: each service in a network namespace of its own, joined as compose.yaml
  joins them (bridges for `front`, with its subnet and nginx's fixed address, and for the
  internal `store`); Debian's redis-server with the Valkey service's command line, the two
  replicas (the release binary, as the image's uid 10001) with compose.yaml's environment and
  the image's ENV, sharing one DATA_DIR as they share the volume, started in compose.yaml's
  order, and Debian's nginx with deploy/compose/nginx.conf (as an unprivileged user). Service
  names resolve through a private /etc/hosts. The bridge's gateway is the host: EEN (the
  simulator, `een-gallery sim`, API v1) and the browsers, which reach nginx's port.
- the Kubernetes overlay: the rendered Deployment's environment with its Secrets' values,
  its Secret volumes mounted read-only where the manifest mounts them, DATA_DIR read-only,
  as the pod's user; redis-server with the rendered StatefulSet's arguments (the password).

What they prove: nginx spreads requests over both replicas and pins the EEN connect flow to
the first; the first admin is made once; a sign-in on one replica holds on the other and a
sign-out ends it on both; the sign-in limit counts the client nginx names in X-Forwarded-For,
not nginx, and not what a client claims; both replicas use the store; the overlay's pod
reaches its password-protected Valkey, signs in from the users Secret, and refuses to start
with an empty users file it cannot write.
"""

from __future__ import annotations

import argparse
import http.client
import ipaddress
import os
import re
import secrets
import shutil
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import deploy_check as dc

SIM_PORT = 9000
# The internal network in compose.yaml has no fixed subnet: any of its own will do here.
STORE_SUBNET = "10.89.251.0/24"
WAIT = 30.0
ADMIN_PASSWORD = re.compile(r"created the first admin.*?password\W{1,3}([A-Za-z0-9]{24})")


def fail(message: str) -> None:
    raise dc.CheckFailed(message)


def run(*argv: str) -> str:
    out = subprocess.run(argv, capture_output=True, text=True)
    if out.returncode != 0:
        fail(f"{' '.join(argv)}: {out.stderr.strip()}")
    return out.stdout


class Processes:
    """What this run started; each logs to WORK/NAME.log, owned by the user it runs as."""

    def __init__(self, work: Path):
        self.work = work
        self.running: dict[str, subprocess.Popen] = {}

    def start(
        self,
        name: str,
        argv: list[str],
        env: dict[str, str],
        user: tuple[int, int] | None = None,
        netns: str | None = None,
        tmpfs: str | None = None,
    ):
        log = self.work / f"{name}.log"
        log.touch()
        if user:
            os.chown(log, *user)
            argv = ["setpriv", f"--reuid={user[0]}", f"--regid={user[1]}", "--clear-groups", *argv]
        if tmpfs:
            # compose.yaml's `tmpfs:`: an empty file system there, for this process alone.
            argv = [
                "unshare",
                "--mount",
                "--",
                "sh",
                "-c",
                f'mount -t tmpfs -o mode=1777 tmpfs {tmpfs} && exec "$@"',
                "sh",
                *argv,
            ]
        if netns:
            argv = ["ip", "netns", "exec", netns, *argv]
        with open(log, "ab") as out:
            self.running[name] = subprocess.Popen(
                argv, env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=out
            )
        return self.running[name]

    def log(self, name: str) -> str:
        return (self.work / f"{name}.log").read_text(errors="replace")

    def alive(self, name: str) -> bool:
        return self.running[name].poll() is None

    def wait_for(self, name: str, what: str, ready) -> None:
        deadline = time.monotonic() + WAIT
        while time.monotonic() < deadline:
            if ready():
                return
            if not self.alive(name):
                fail(f"{name} exited while waiting for {what}:\n{self.log(name)[-3000:]}")
            time.sleep(0.1)
        fail(f"{name}: no {what} within {WAIT:.0f} s:\n{self.log(name)[-3000:]}")

    def stop(self, *names: str) -> None:
        for name in names or list(self.running):
            process = self.running.pop(name, None)
            if process and process.poll() is None:
                process.terminate()
                try:
                    process.wait(10)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()


class Client:
    """One browser: cookies, a new connection per request, from `source` if given."""

    def __init__(self, host: str, port: int, source: str | None = None):
        self.host, self.port, self.source = host, port, source
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, form: dict | None = None, headers: dict | None = None):
        conn = http.client.HTTPConnection(
            self.host, self.port, timeout=10, source_address=(self.source, 0) if self.source else None
        )
        sent = dict(headers or {})
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urlencode(form)
            sent["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            conn.request(method, path, body=body, headers=sent)
            response = conn.getresponse()
            text = response.read().decode(errors="replace")
        finally:
            conn.close()
        for value in response.headers.get_all("Set-Cookie") or []:
            pair, _, attributes = value.partition(";")
            name, _, cookie = pair.strip().partition("=")
            if cookie and "max-age=0" not in attributes.lower():
                self.cookies[name] = cookie
            else:
                self.cookies.pop(name, None)
        return response.status, response.headers, text

    def get(self, path: str, **kw):
        return self.request("GET", path, **kw)

    def sign_in(self, user: str, password: str, headers: dict | None = None) -> int:
        status, _, page = self.get("/login")
        if status != 200:
            fail(f"GET /login answered {status}")
        token = re.search(r'name="csrf" value="([^"]+)"', page)
        if not token:
            fail("the sign-in page has no form token")
        form = {"csrf": token.group(1), "user": user, "password": password}
        return self.request("POST", "/login", form=form, headers=headers)[0]


def answers(host: str, port: int, path: str, status: int = 200) -> bool:
    try:
        return Client(host, port).get(path)[0] == status
    except OSError:
        return False


def metric(text: str, name: str, **labels: str) -> float:
    total = 0.0
    for line in text.splitlines():
        if line.startswith(name + "{") or line.startswith(name + " "):
            found = dict(re.findall(r'(\w+)="([^"]*)"', line.split("}")[0]))
            if all(found.get(k) == v for k, v in labels.items()):
                total += float(line.rsplit(" ", 1)[1])
    return total


class Topology:
    """compose networks as bridges in this namespace, containers as namespaces joined to them."""

    def __init__(self, work: Path):
        links = [line.split(":")[1].strip() for line in run("ip", "-o", "link").splitlines()]
        if links != ["lo"]:
            fail(f"not in a private network namespace (links: {links}); run ci/deploy-check.sh")
        run("ip", "link", "set", "lo", "up")
        # A private /run: ip netns keeps its namespaces there, and the pod its Secrets.
        run("mount", "-t", "tmpfs", "-o", "mode=0755", "tmpfs", "/run")
        self.hosts = work / "hosts"
        self.names: dict[str, str] = {}
        self.write_hosts()
        run("mount", "--bind", str(self.hosts), "/etc/hosts")
        self.links = 0
        self.free: dict[str, list[str]] = {}
        self.prefix: dict[str, int] = {}

    def network(self, name: str, subnet: str, host: list[str] | None = None) -> None:
        """A bridge; `host`: this namespace's addresses on it (the gateway first)."""
        net = ipaddress.ip_network(subnet)
        run("ip", "link", "add", f"br-{name}", "type", "bridge")
        for address in host or []:
            run("ip", "addr", "add", f"{address}/{net.prefixlen}", "dev", f"br-{name}")
        run("ip", "link", "set", f"br-{name}", "up")
        taken = set(host or []) | {str(next(net.hosts()))}
        self.prefix[name] = net.prefixlen
        self.free[name] = [str(a) for a in net.hosts() if str(a) not in taken]

    def container(self, name: str, networks: dict[str, str | None]) -> dict[str, str]:
        """A namespace on `networks` (name: fixed address or None); returns its addresses."""
        run("ip", "netns", "add", name)
        run("ip", "netns", "exec", name, "ip", "link", "set", "lo", "up")
        addresses = {}
        for net, fixed in networks.items():
            address = fixed or self.free[net][0]
            self.free[net].remove(address)
            self.links += 1
            inside, outside = f"ve{self.links}", f"vp{self.links}"
            run("ip", "link", "add", inside, "type", "veth", "peer", "name", outside)
            run("ip", "link", "set", outside, "master", f"br-{net}", "up")
            run("ip", "link", "set", inside, "netns", name)
            address_of = f"{address}/{self.prefix[net]}"
            run("ip", "netns", "exec", name, "ip", "addr", "add", address_of, "dev", inside)
            run("ip", "netns", "exec", name, "ip", "link", "set", inside, "up")
            addresses[net] = address
        return addresses

    def name(self, name: str, address: str) -> None:
        self.names[name] = address
        self.write_hosts()

    def write_hosts(self) -> None:
        # Rewritten in place: /etc/hosts is a bind mount of this very file.
        with open(self.hosts, "w") as out:
            out.write("127.0.0.1 localhost\n")
            for name, address in self.names.items():
                out.write(f"{address} {name}\n")


def read_only_dir(path: Path) -> None:
    run("mount", "--bind", str(path), str(path))
    run("mount", "-o", "remount,bind,ro", str(path))


def numeric_user(text: str) -> tuple[int, int]:
    uid, gid = text.split(":")
    return int(uid), int(gid)


def image_user() -> tuple[int, int]:
    found = re.search(r"^USER (\d+):(\d+)", (dc.ROOT / "Dockerfile").read_text(), re.M)
    if not found:
        fail("the Dockerfile names no USER uid:gid")
    return int(found.group(1)), int(found.group(2))


def healthy(binary: str, env: dict[str, str], netns: str):
    """The image's HEALTHCHECK (`een-gallery healthcheck`), run where the service runs."""
    return (
        lambda: subprocess.run(
            ["ip", "netns", "exec", netns, binary, "healthcheck"], env=env, capture_output=True
        ).returncode
        == 0
    )


def compose_run(args, procs: Processes, net: Topology, work: Path, binary: str) -> dict:
    """The `replicas` profile; returns what the Kubernetes run reuses."""
    config = dc.compose_config(args.podman_compose, "replicas")
    services = config["services"]
    first, second = dc.REPLICA_SERVICES
    store = urlsplit(dc.environment(services[first])["STORE_URL"])
    ((front, nginx_net),) = dc.networks_of(services["nginx"]).items()
    (store_net,) = dc.networks_of(services[store.hostname])
    subnet = ipaddress.ip_network(config["networks"][front]["ipam"]["config"][0]["subnet"])
    gateway, browser = str(next(subnet.hosts())), str(subnet.broadcast_address - 1)
    net.network(front, str(subnet), host=[gateway, browser])
    net.network(store_net, STORE_SUBNET)
    placed = {}
    for name in (store.hostname, *dc.REPLICA_SERVICES, "nginx"):
        wanted = {n: (cfg or {}).get("ipv4_address") for n, cfg in dc.networks_of(services[name]).items()}
        placed[name] = net.container(name, wanted)
        # Names resolve to the address on the network nginx, or the replicas, reach them by.
        net.name(name, placed[name].get(store_net if name == store.hostname else front))
    print(
        f"  namespaces: {'; '.join(f'{n} ' + ', '.join(f'{k} {v}' for k, v in a.items()) for n, a in placed.items())}; "
        f"host (EEN, browsers) {gateway}, {browser}"
    )

    clean = {"PATH": "/usr/local/bin:/usr/bin:/bin"}
    sim = procs.start("sim", [binary, "sim", "--bind", f"{gateway}:{SIM_PORT}", "--no-cookie-domain"], clean)
    procs.wait_for("sim", "demo login", lambda: "demo login:" in procs.log("sim"))
    login = re.search(r"demo login: *(\S+) / (\S+)", procs.log("sim"))
    if not login or sim.poll() is not None:
        fail("cannot read the simulator's demo login")

    # Debian's redis-server stands in for the Valkey image (same protocol and flags; the image
    # also turns protected mode off), with its volume in WORK.
    command = services[store.hostname]["command"]
    valkey_user = numeric_user(services[store.hostname]["user"])
    volume = work / "valkey"
    volume.mkdir(mode=0o700)
    os.chown(volume, *valkey_user)
    procs.start(
        "valkey",
        [args.redis, *command[1:], "--dir", str(volume), "--protected-mode", "no"],
        clean,
        valkey_user,
        netns=store.hostname,
    )
    procs.wait_for(
        "valkey",
        "a listening store",
        lambda: store_answers(store.hostname, store.hostname, store.port) == "PONG",
    )

    user = image_user()
    data = work / "data"
    data.mkdir(mode=0o700)
    os.chown(data, *user)
    port = dc.gallery_port()
    # What een.env would hold for an account on API v1, here the simulator's.
    account = {
        "EEN_USERNAME": login.group(1),
        "EEN_PASSWORD": login.group(2),
        "EEN_BASE_URL": f"http://{gateway}:{SIM_PORT}",
    }
    for name in dc.REPLICA_SERVICES:
        env = {**clean, **dc.image_env(), **dc.environment(services[name]), **account, "DATA_DIR": str(data)}
        procs.start(name, [binary], env, user, netns=name)
        # compose.yaml starts each replica once the one before it is healthy: the same check.
        procs.wait_for(name, "a passing health check", healthy(binary, env, name))
    password = ADMIN_PASSWORD.search(procs.log(first))
    if not password:
        fail(f"{first} logged no first admin:\n{procs.log(first)[-2000:]}")
    if "created the first admin" in procs.log(second):
        fail(f"{second} made a first admin of its own: the start order did not hold")
    users_file = data / "users"
    users = [line for line in users_file.read_text().splitlines() if line and not line.startswith("#")]
    if len(users) != 1 or not users[0].startswith("admin:admin:"):
        fail(f"the shared users file holds {len(users)} users")
    print(
        f"  ok: {first} made the first admin (password in its log only), {second} found it in the shared DATA_DIR"
    )

    nginx_dir = work / "nginx"
    nginx_dir.mkdir()
    conf = nginx_dir / "nginx.conf"
    shutil.copyfile(dc.NGINX_CONF, conf)  # the same bytes, readable by the unprivileged user
    conf.chmod(0o644)
    nginx = [args.nginx, "-e", "stderr", "-c", str(conf), "-g", "daemon off;"]
    # Its logs go to files of its own: an unprivileged nginx cannot reopen someone else's pipe.
    (tmpfs,) = services["nginx"]["tmpfs"]
    nginx_user = numeric_user(services["nginx"]["user"])
    code = procs.start("nginx-test", [*nginx, "-t"], clean, nginx_user, netns="nginx", tmpfs=tmpfs).wait(WAIT)
    said = procs.log("nginx-test").strip()
    if code != 0:
        fail(f"nginx -t refuses deploy/compose/nginx.conf:\n{said}")
    print(f"  ok: nginx -t, as uid {nginx_user[0]} with a tmpfs at {tmpfs}: {said.splitlines()[-1]}")
    listen = dc.nginx_listen_port(conf.read_text())
    proxy = placed["nginx"][front]
    procs.start("nginx", nginx, clean, nginx_user, netns="nginx", tmpfs=tmpfs)
    procs.wait_for("nginx", "an answer", lambda: answers(proxy, listen, "/healthz"))
    replicas = {name: placed[name][front] for name in dc.REPLICA_SERVICES}
    for name, address in replicas.items():
        procs.wait_for(name, "readiness", lambda a=address: answers(a, port, "/readyz"))

    # The sign-in limit counts the client nginx names, never nginx or what a client claims.
    a = Client(proxy, listen, source=gateway)
    for i in range(5):
        status = a.sign_in(f"nobody{i}", f"wrong-password-{i}")
        if status != 401:
            fail(f"a wrong sign-in through nginx answered {status}, not 401")
    status = a.sign_in("nobody5", "wrong-password-5", headers={"X-Forwarded-For": "203.0.113.7"})
    if status != 429:
        fail(f"the 6th failed sign-in from one client (claiming another address) answered {status}, not 429")
    b = Client(proxy, listen, source=browser)
    status = b.sign_in("admin", password.group(1))
    if status != 303 or "een_session" not in b.cookies:
        fail(
            f"signing in as the first admin from another client answered {status}: nginx's X-Forwarded-For "
            "is not believed (AUTH_TRUSTED_PROXIES), so every client counts as nginx"
        )
    print(
        "  ok: 5 failed sign-ins lock out their client (429, whatever X-Forwarded-For it sends), "
        "and another client signs in: the replicas count the address nginx names"
    )

    for _ in range(6):
        status, _, page = b.get("/")
        if status != 200 or 'href="/cameras/' not in page:
            fail(f"the grid through nginx answered {status}")
    for _ in range(4):
        b.get("/een")
    counts = {}
    for name, address in replicas.items():
        direct = Client(address, port)
        direct.cookies = dict(b.cookies)
        if direct.get("/")[0] != 200:
            fail(f"the session does not hold on {name}")
        status, _, text = direct.get("/metrics")
        if status != 200:
            fail(f"/metrics on {name} answered {status} to the admin")
        if metric(text, "een_gallery_store_up") != 1:
            fail(f"{name} does not reach the store at {store.geturl()}")
        counts[name] = (
            metric(text, "een_gallery_http_requests_total", route="/login"),
            metric(text, "een_gallery_http_requests_total", route="/een"),
        )
    if not all(login_count > 0 for login_count, _ in counts.values()):
        fail(f"nginx sent every sign-in page to one replica: {counts}")
    if counts[first][1] != 4 or counts[second][1] != 0:
        fail(f"/een should reach {first} only: {counts}")
    print(
        f"  ok: the session holds on both replicas; nginx spread /login over both ({counts[first][0]:.0f} + "
        f"{counts[second][0]:.0f}) and sent /een to {first} only; both report the store up"
    )

    session = b.cookies["een_session"]
    token = re.search(r'name="csrf" value="([^"]+)"', b.get("/")[2])
    if not token or b.request("POST", "/logout", form={"csrf": token.group(1)})[0] != 303:
        fail("signing out through nginx failed")
    for name, address in replicas.items():
        # A replica trusts a session the store confirmed for 2 s.
        direct = Client(address, port)
        procs.wait_for(name, "the sign-out", lambda: signed_out(direct, session))
    print("  ok: a sign-out through nginx ends the session on both replicas")
    procs.stop("nginx", *dc.REPLICA_SERVICES, "valkey")
    return {
        "admin": password.group(1),
        "users": users_file.read_text(),
        "een": f"http://{gateway}:{SIM_PORT}",
        "store": (store.hostname, placed[store.hostname][store_net]),
        "pod": (first, placed[first][front]),
    }


def store_answers(netns: str, host: str, port: int, password: str | None = None) -> str:
    """What PING gets from the store at host:port, asked from `netns`."""
    argv = ["ip", "netns", "exec", netns, "redis-cli", "-h", host, "-p", str(port), "--no-auth-warning"]
    if password:
        argv += ["-a", password]
    return subprocess.run([*argv, "ping"], capture_output=True, text=True).stdout.strip()


def signed_out(client: Client, session: str) -> bool:
    client.cookies = {"een_session": session}
    status, headers, _ = client.get("/")
    return status == 303 and "/login" in (headers.get("Location") or "")


VAR_REF = dc.VAR_REF


def expand(value: str, env: dict[str, str]) -> str:
    """Kubernetes' $(VAR) expansion: variables defined before; others stay as written."""
    return VAR_REF.sub(lambda m: env.get(m.group(1), m.group(0)), value)


def container_env(container: dict, secret_values: dict[str, dict[str, str]]) -> dict[str, str]:
    env: dict[str, str] = {}
    for var in container.get("env", []):
        if "value" in var:
            env[var["name"]] = expand(var["value"], env)
        else:
            ref = var["valueFrom"]["secretKeyRef"]
            env[var["name"]] = secret_values[ref["name"]][ref["key"]]
    return env


def mount_secrets(pod: dict, container: dict, secret_values: dict[str, dict[str, str]], group: int) -> None:
    """Each Secret volume where the container mounts it: its files as the kubelet writes
    them (items, mode, the pod's fsGroup), read-only. Mount paths must lie under /run, which
    is private to this namespace."""
    volumes = {v["name"]: v for v in pod.get("volumes", [])}
    for mount in container.get("volumeMounts", []):
        secret = volumes[mount["name"]].get("secret")
        if not secret:
            fail(f"this run cannot provide the volume {mount['name']} (only Secrets)")
        path = Path(mount["mountPath"])
        if not path.is_relative_to("/run"):
            fail(f"{path} is outside /run: this run mounts Secrets only there")
        path.mkdir(parents=True)
        values = secret_values[secret["secretName"]]
        items = secret.get("items") or [{"key": key, "path": key} for key in values]
        for item in items:
            file = path / item["path"]
            file.write_text(values[item["key"]])
            os.chown(file, 0, group)
            file.chmod(secret.get("defaultMode", 0o644))
        if mount.get("readOnly"):
            read_only_dir(path)


def kubernetes_run(args, procs: Processes, net: Topology, work: Path, binary: str, earlier: dict) -> None:
    """The replicas overlay's gallery pod and its Valkey, from the rendered manifests, in the
    namespaces een-gallery-1 and Valkey had (the pod is on both networks, as the gallery's
    pods reach the store's Service)."""
    docs = dc.render(dc.REPLICAS)
    gallery = next(d for d in dc.by_kind(docs, "Deployment") if d["metadata"]["name"] == "een-gallery")
    valkey = dc.by_kind(docs, "StatefulSet")[0]
    pod = gallery["spec"]["template"]["spec"]
    container = dc.gallery_container(gallery)
    security = pod["securityContext"]
    user = (security["runAsUser"], security["runAsGroup"])
    # The Secrets an operator creates, with test values: the simulator's v3 demo client.
    store_password = secrets.token_hex(32)
    secret_values = {
        "een-gallery-credentials": {"client-id": "een-gallery-demo", "client-secret": "demo-client-secret"},
        "een-gallery-store": {"password": store_password},
        "een-gallery-users": {"users": earlier["users"]},
    }
    store_url = urlsplit(container_env(container, secret_values)["STORE_URL"])
    if store_url.password != store_password:
        fail("STORE_URL does not carry the Secret's password once expanded")
    store_netns, store_address = earlier["store"]
    pod_netns, pod_address = earlier["pod"]
    net.name(store_url.hostname, store_address)

    valkey_container = valkey["spec"]["template"]["spec"]["containers"][0]
    valkey_env = container_env(valkey_container, secret_values)
    argv = [expand(word, valkey_env) for word in valkey_container["args"]]
    valkey_security = valkey["spec"]["template"]["spec"]["securityContext"]
    valkey_user = (valkey_security["runAsUser"], valkey_security["runAsGroup"])
    volume = work / "valkey-k8s"
    volume.mkdir(mode=0o700)
    os.chown(volume, valkey_user[0], valkey_security["fsGroup"])
    procs.start(
        "valkey-k8s",
        [args.redis, *argv[1:], "--dir", str(volume), "--protected-mode", "no"],
        {"PATH": "/usr/bin:/bin"},
        valkey_user,
        netns=store_netns,
    )
    procs.wait_for(
        "valkey-k8s",
        "a listening store",
        lambda: store_answers(pod_netns, store_url.hostname, store_url.port, store_password) == "PONG",
    )
    refused = store_answers(pod_netns, store_url.hostname, store_url.port)
    if "NOAUTH" not in refused:
        fail(f"Valkey answers without the password: {refused!r}")

    mount_secrets(pod, container, secret_values, security["fsGroup"])
    env = {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        **dc.image_env(),
        **container_env(container, secret_values),
    }
    # The image's empty DATA_DIR on a read-only root file system; EEN is the simulator.
    data = work / "k8s-data"
    data.mkdir(mode=0o700)
    os.chown(data, *user)
    read_only_dir(data)
    env.update(DATA_DIR=str(data), EEN_AUTH_URL=earlier["een"], EEN_API_URL=earlier["een"])
    procs.start("pod", [binary], env, user, netns=pod_netns)
    procs.wait_for("pod", "a passing health check", healthy(binary, env, pod_netns))
    port = int(env["BIND"].rsplit(":", 1)[1])
    procs.wait_for("pod", "the store", lambda: "store: up" in Client(pod_address, port).get("/readyz")[2])
    if Client(pod_address, port).sign_in("admin", earlier["admin"]) != 303:
        fail("the pod does not sign in the admin of the users Secret")
    keys = subprocess.run(
        [
            "ip",
            "netns",
            "exec",
            store_netns,
            "redis-cli",
            "--no-auth-warning",
            "-a",
            store_password,
            "--scan",
            "--pattern",
            "een-gallery:*",
        ],
        capture_output=True,
        text=True,
    ).stdout.split()
    if not any(":session:" in key for key in keys):
        fail(f"the pod's sign-in left no session in Valkey (keys: {keys})")
    print(
        f"  ok: the overlay's pod (uid {user[0]}, DATA_DIR read-only) reaches its Valkey with the Secret's "
        "password (Valkey refuses clients without it), signs in the users Secret's admin, and keeps the "
        "session in Valkey"
    )
    procs.stop("pod")

    # A users Secret with nobody in it: the pod cannot write a first admin there, and says so.
    empty = Path("/run/empty-users")
    empty.mkdir()
    (empty / "users").write_text("# nobody yet\n")
    read_only_dir(empty)
    env["AUTH_USERS_FILE"] = str(empty / "users")
    process = procs.start("pod-empty-users", [binary], env, user, netns=pod_netns)
    try:
        code = process.wait(WAIT)
    except subprocess.TimeoutExpired:
        fail("a pod whose users Secret is empty keeps running (it cannot have written a first admin)")
    said = procs.log("pod-empty-users")
    if code == 0 or "users" not in said:
        fail(f"a pod with an empty users Secret exited with {code}, saying:\n{said[-2000:]}")
    error = next(
        (line for line in said.splitlines() if line.startswith("Error:")), said.strip().splitlines()[-1]
    )
    print(f"  ok: with an empty users Secret the pod stops at once (exit {code}): {error[:160]}")
    procs.stop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--bin", required=True, help="the release een-gallery binary")
    parser.add_argument("--redis", default="redis-server")
    parser.add_argument("--nginx", default="nginx")
    parser.add_argument("--podman-compose", required=True)
    parser.add_argument("--work", required=True, help="an empty directory (the caller removes it)")
    args = parser.parse_args()
    work = Path(args.work)
    work.chmod(0o755)
    binary = str(work / "een-gallery")
    shutil.copyfile(args.bin, binary)
    os.chmod(binary, 0o755)
    procs = Processes(work)
    started = time.monotonic()
    try:
        net = Topology(work)
        print("compose.yaml, profile replicas:")
        earlier = compose_run(args, procs, net, work, binary)
        print("deploy/kubernetes/replicas:")
        kubernetes_run(args, procs, net, work, binary, earlier)
    except dc.CheckFailed as error:
        print(f"deploy-check: FAIL: {error}", file=sys.stderr)
        return 1
    finally:
        # The mounts end with this namespace; the caller removes the directory.
        procs.stop()
    print(f"  live run: {time.monotonic() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
