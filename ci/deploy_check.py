#!/usr/bin/env python3
"""The deployment files, checked with real parsers (issue 16); ci/deploy-check.sh runs this.

`compose`: compose.yaml as podman-compose reads it (merge keys, profiles, the containers it
would create), and how the `replicas` profile hangs together: the store URL names the Valkey
service on a network the replicas share, AUTH_TRUSTED_PROXIES names nginx's fixed address,
deploy/compose/nginx.conf's upstreams name the replicas on the gallery's port, the hardening.

`kubernetes`: deploy/kubernetes and its replicas/ overlay rendered as kustomize would (the
two patch forms the overlay uses: RFC 6902 JSON patches, applied by the jsonpatch library,
and `$patch: delete`; any other field or patch form fails here until this renderer learns
it), validated against the Kubernetes schemas (kubernetes-validate --strict), then checked
for what the schemas cannot see: selectors that select the right pods, ports, volumes,
Secrets, variable references, the hardening, and the overlay's store and users file.

ci/deploy_live.py runs the same files for real, in network namespaces of its own.
"""

from __future__ import annotations

import argparse
import ipaddress
import re
import shlex
import subprocess
import sys
import tempfile
from pathlib import Path
from urllib.parse import urlsplit

import jsonpatch
import yaml

ROOT = Path(__file__).resolve().parent.parent
COMPOSE = ROOT / "compose.yaml"
NGINX_CONF = ROOT / "deploy" / "compose" / "nginx.conf"
KUBERNETES = ROOT / "deploy" / "kubernetes"
REPLICAS = KUBERNETES / "replicas"
REPLICA_SERVICES = ("een-gallery-1", "een-gallery-2")
SINGLE_SERVICE = "een-gallery"
KUBERNETES_VERSION = "1.37"


class CheckFailed(Exception):
    """A deployment file is wrong; the message says which and how."""


def fail(message: str) -> None:
    raise CheckFailed(message)


def ok(message: str) -> None:
    print(f"  ok: {message}")


def expect(condition: bool, message: str) -> None:
    if not condition:
        fail(message)


# --- the image ---------------------------------------------------------------------------


def image_env() -> dict[str, str]:
    """The ENV of the Dockerfile's final stage (BIND, DATA_DIR, …)."""
    text = (ROOT / "Dockerfile").read_text().replace("\\\n", " ")
    final = text.split("\nFROM ")[-1]
    env: dict[str, str] = {}
    for line in final.splitlines():
        if line.startswith("ENV "):
            for word in shlex.split(line[4:]):
                key, _, value = word.partition("=")
                env[key] = value
    expect("BIND" in env and "DATA_DIR" in env, "the Dockerfile's final stage sets no BIND or DATA_DIR")
    return env


def gallery_port() -> int:
    return int(image_env()["BIND"].rsplit(":", 1)[1])


# --- compose -----------------------------------------------------------------------------


def compose_config(podman_compose: str, *profiles: str) -> dict:
    """compose.yaml as podman-compose resolves it (merge keys, profiles)."""
    args = [podman_compose, "--dry-run", "-f", str(COMPOSE)]
    for profile in profiles:
        args += ["--profile", profile]
    out = subprocess.run(args + ["config"], capture_output=True, text=True, cwd=ROOT)
    if out.returncode != 0:
        fail(f"podman-compose config failed:\n{out.stderr}")
    return yaml.safe_load(out.stdout)


def environment(service: dict) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.split("=", 1) for item in env)
    return {key: str(value) for key, value in env.items()}


def networks_of(service: dict) -> dict[str, dict]:
    nets = service.get("networks") or {}
    if isinstance(nets, list):
        return {name: {} for name in nets}
    return {name: (value or {}) for name, value in nets.items()}


def flags(words: list[str]) -> dict[str, str]:
    """`--name value` pairs of a command line."""
    out = {}
    for i, word in enumerate(words):
        if word.startswith("--") and i + 1 < len(words):
            out[word] = words[i + 1]
    return out


def nginx_upstreams(text: str) -> dict[str, list[tuple[str, int, str]]]:
    """Each upstream block's servers: (host, port, parameters)."""
    text = re.sub(r"#.*", "", text)
    upstreams = {}
    for name, body in re.findall(r"upstream\s+(\S+)\s*\{([^}]*)\}", text):
        servers = []
        for host, port, params in re.findall(r"^\s*server\s+([^\s:;]+):(\d+)([^;]*);", body, re.M):
            servers.append((host, int(port), params.strip()))
        upstreams[name] = servers
    return upstreams


def nginx_listen_port(text: str) -> int:
    ports = re.findall(r"^\s*listen\s+(?:[^\s;]*:)?(\d+)[^;]*;", re.sub(r"#.*", "", text), re.M)
    expect(len(ports) == 1, f"nginx.conf should have one listen directive, has {ports}")
    return int(ports[0])


def hardened(name: str, service: dict) -> None:
    expect(service.get("read_only") is True, f"{name}: not read_only")
    expect(service.get("cap_drop") == ["ALL"], f"{name}: does not drop every capability")
    expect(
        "no-new-privileges:true" in (service.get("security_opt") or []), f"{name}: lacks no-new-privileges"
    )
    expect(service.get("restart") == "unless-stopped", f"{name}: no restart policy")


def check_compose(podman_compose: str) -> None:
    single = compose_config(podman_compose)
    replicas = compose_config(podman_compose, "replicas")
    services = replicas["services"]
    expect(
        set(single["services"]) == {SINGLE_SERVICE},
        f"without a profile compose.yaml should run only {SINGLE_SERVICE}, runs {sorted(single['services'])}",
    )
    expect(
        set(services) == {SINGLE_SERVICE, "valkey", "nginx", *REPLICA_SERVICES},
        f"the replicas profile has the services {sorted(services)}",
    )
    ok(
        f"no profile: {SINGLE_SERVICE} alone; --profile replicas: valkey, {', '.join(REPLICA_SERVICES)}, nginx"
    )

    env = image_env()
    data_dir = env["DATA_DIR"]
    port = gallery_port()
    one, two = (services[name] for name in REPLICA_SERVICES)
    expect(environment(one) == environment(two), "the two replicas' environments differ")
    expect(one.get("volumes") == two.get("volumes"), "the two replicas mount different volumes")
    mounts = [v.split(":") for v in one.get("volumes") or []]
    expect(any(m[1] == data_dir for m in mounts), f"the replicas mount no volume at DATA_DIR {data_dir}")
    expect(
        [m for m in mounts if m[1] == data_dir]
        == [m for m in (v.split(":") for v in services[SINGLE_SERVICE]["volumes"]) if m[1] == data_dir],
        "the replicas and the single gallery keep DATA_DIR (the users file) in different volumes",
    )
    ok(
        f"both replicas: the same environment and the same volume at DATA_DIR ({data_dir}), the single gallery's"
    )

    store_url = urlsplit(environment(one).get("STORE_URL", ""))
    expect(store_url.scheme in ("redis", "valkey"), f"the replicas' STORE_URL is {store_url.geturl()!r}")
    expect(store_url.hostname in services, f"STORE_URL names {store_url.hostname}, which is no service")
    valkey = services[store_url.hostname]
    command = valkey.get("command") or []
    expect(command[:1] == ["valkey-server"], f"valkey runs {command[:1]}, not valkey-server")
    valkey_flags = flags(command)
    expect(store_url.port == int(valkey_flags.get("--port", 6379)), "STORE_URL's port is not Valkey's")
    expect("--maxmemory" in valkey_flags, "Valkey has no --maxmemory bound")
    expect(
        valkey_flags.get("--maxmemory-policy") == "volatile-lru",
        "Valkey must evict with volatile-lru (never the v3 connection, which has no TTL)",
    )
    expect(not valkey.get("ports"), "Valkey must not publish a port: it holds the EEN tokens")
    store_nets = set(networks_of(valkey))
    for name in REPLICA_SERVICES:
        expect(store_nets & set(networks_of(services[name])), f"{name} shares no network with Valkey")
    expect(
        all(replicas["networks"][n].get("internal") for n in store_nets),
        "Valkey's network must be internal (the store holds the EEN tokens)",
    )
    members = {s for s, svc in services.items() if store_nets & set(networks_of(svc))}
    expect(members == {store_url.hostname, *REPLICA_SERVICES}, f"Valkey's network also has {members}")
    ok(
        f"STORE_URL {store_url.geturl()} is the Valkey service (volatile-lru, bounded, "
        f"on the internal network {', '.join(sorted(store_nets))} with the replicas only)"
    )

    nginx = services["nginx"]
    front = networks_of(nginx)
    expect(len(front) == 1, "nginx should be on one network")
    ((front_name, front_cfg),) = front.items()
    address = ipaddress.ip_address(front_cfg.get("ipv4_address", "0.0.0.0"))
    subnets = [ipaddress.ip_network(c["subnet"]) for c in replicas["networks"][front_name]["ipam"]["config"]]
    expect(any(address in s for s in subnets), f"nginx's address {address} is outside {subnets}")
    for name in REPLICA_SERVICES:
        expect(front_name in networks_of(services[name]), f"{name} is not on nginx's network")
        expect(not services[name].get("ports"), f"{name} publishes a port: only nginx should")
        trusted = environment(services[name]).get("AUTH_TRUSTED_PROXIES", "")
        expect(trusted == str(address), f"{name}'s AUTH_TRUSTED_PROXIES is {trusted!r}, nginx is {address}")
    ok(f"AUTH_TRUSTED_PROXIES is nginx's fixed address {address} (in {', '.join(map(str, subnets))})")

    conf_text = NGINX_CONF.read_text()
    mounted = [v for v in nginx.get("volumes") or [] if v.split(":")[1] == "/etc/nginx/nginx.conf"]
    expect(len(mounted) == 1, "nginx does not mount deploy/compose/nginx.conf as /etc/nginx/nginx.conf")
    expect(
        (ROOT / mounted[0].split(":")[0]).resolve() == NGINX_CONF.resolve(),
        f"nginx mounts {mounted[0]}, not deploy/compose/nginx.conf",
    )
    expect(nginx.get("entrypoint") == ["nginx", "-g", "daemon off;"], "nginx's entrypoint changed")
    expect(
        not re.search(r"^\s*daemon\s", conf_text, re.M), "nginx.conf must not set daemon: the entrypoint does"
    )
    listen = nginx_listen_port(conf_text)
    published = [str(p) for p in nginx.get("ports") or []]
    expect(
        len(published) == 1 and published[0].startswith("127.0.0.1:") and published[0].endswith(f":{listen}"),
        f"nginx should publish its port {listen} on loopback only, publishes {published}",
    )
    upstreams = nginx_upstreams(conf_text)
    expect(len(upstreams) >= 1, "nginx.conf has no upstream")
    for name, servers in upstreams.items():
        expect(
            {host for host, _, _ in servers} == set(REPLICA_SERVICES),
            f"upstream {name} names {servers}, not the replicas {REPLICA_SERVICES}",
        )
        expect(
            {p for _, p, _ in servers} == {port}, f"upstream {name} does not use the gallery's port {port}"
        )
    proxied = set(re.findall(r"proxy_pass\s+http://([^/;\s]+)", conf_text))
    expect(proxied <= set(upstreams), f"nginx.conf proxies to {proxied - set(upstreams)}, no upstream")
    expect("X-Forwarded-For $proxy_add_x_forwarded_for" in conf_text, "nginx.conf sets no X-Forwarded-For")
    ok(
        f"nginx.conf: upstreams {', '.join(upstreams)} over {', '.join(REPLICA_SERVICES)}:{port}, "
        f"listens on {listen}, published as {published[0]}, X-Forwarded-For set"
    )

    for name in (*REPLICA_SERVICES, "valkey", "nginx"):
        hardened(name, services[name])
    expect(nginx.get("user") and valkey.get("user"), "nginx and Valkey must run as an unprivileged user")
    for name in (*REPLICA_SERVICES, "valkey"):
        expect(bool(services[name].get("healthcheck", {}).get("test")), f"{name} has no health check")
    ok(
        "replicas, Valkey and nginx: read-only, no capabilities, no-new-privileges, restart policy, "
        "non-root nginx and Valkey, health checks"
    )

    def waits(name: str, on: str) -> bool:
        return (services[name].get("depends_on") or {}).get(on, {}).get("condition") == "service_healthy"

    expect(
        waits(REPLICA_SERVICES[1], REPLICA_SERVICES[0]),
        f"{REPLICA_SERVICES[1]} must wait for {REPLICA_SERVICES[0]} to be healthy (first admin)",
    )
    expect(all(waits("nginx", name) for name in REPLICA_SERVICES), "nginx must wait for both replicas")
    expect(all(waits(name, "valkey") for name in REPLICA_SERVICES), "the replicas must wait for Valkey")
    ok(
        f"start order: valkey, {REPLICA_SERVICES[0]}, {REPLICA_SERVICES[1]}, nginx (each once the one before is healthy)"
    )

    # What `up -d nginx`, the command compose.yaml documents, would create. Even a dry run
    # asks podman about networks and volumes, and creates the missing ones: a stand-in that
    # says everything exists keeps it from touching this machine's podman.
    with tempfile.TemporaryDirectory() as tmp:
        stand_in = Path(tmp) / "podman"
        stand_in.write_text(
            '#!/bin/sh\n# Runs nothing; `ps` finds no containers.\n[ "$1" = ps ] && echo "[]"\nexit 0\n'
        )
        stand_in.chmod(0o755)
        argv = [podman_compose, "--podman-path", str(stand_in), "--verbose", "--dry-run", "-f", str(COMPOSE)]
        argv += ["--profile", "replicas", "up", "-d", "nginx"]
        out = subprocess.run(argv, capture_output=True, text=True, cwd=ROOT)
    expect(out.returncode == 0, f"podman-compose up --dry-run failed:\n{out.stderr}")
    created = re.findall(
        r"podman create --name=\S+ .*?--label io\.podman\.compose\.service=(\S+)", out.stderr
    )
    expect(
        sorted(created) == sorted(["valkey", "nginx", *REPLICA_SERVICES]),
        f"`up -d nginx` would create {created}",
    )
    ok(f"`--profile replicas up -d nginx` creates {', '.join(created)} (not {SINGLE_SERVICE})")


# --- kubernetes --------------------------------------------------------------------------


def load_docs(path: Path) -> list[dict]:
    return [doc for doc in yaml.safe_load_all(path.read_text()) if doc is not None]


def matches_target(doc: dict, target: dict) -> bool:
    group, _, version = doc["apiVersion"].rpartition("/")
    wanted = {"group": group, "version": version, "kind": doc["kind"], "name": doc["metadata"]["name"]}
    return all(wanted[key] == value for key, value in target.items())


def render(directory: Path) -> list[dict]:
    """The objects `kubectl kustomize directory` would print, for the fields used here."""
    kustomization = yaml.safe_load((directory / "kustomization.yaml").read_text())
    unknown = set(kustomization) - {"apiVersion", "kind", "resources", "patches"}
    expect(
        not unknown, f"{directory}/kustomization.yaml uses {unknown}: teach ci/deploy_check.py to render it"
    )
    docs: list[dict] = []
    for resource in kustomization.get("resources", []):
        path = directory / resource
        docs += render(path) if path.is_dir() else load_docs(path)
    for patch in kustomization.get("patches", []):
        expect(set(patch) <= {"path", "patch", "target"}, f"a patch in {directory} uses {set(patch)}")
        body = yaml.safe_load((directory / patch["path"]).read_text() if "path" in patch else patch["patch"])
        if isinstance(body, list):
            targets = [d for d in docs if matches_target(d, patch.get("target", {}))]
            expect(len(targets) == 1, f"a JSON patch in {directory} targets {len(targets)} objects")
            index = docs.index(targets[0])
            try:
                docs[index] = jsonpatch.JsonPatch(body).apply(targets[0])
            except (jsonpatch.JsonPatchException, jsonpatch.JsonPointerException) as error:
                fail(f"{patch.get('path', 'a patch')} in {directory} does not apply: {error}")
        elif isinstance(body, dict) and body.get("$patch") == "delete":
            gone = [
                d
                for d in docs
                if d["kind"] == body["kind"] and d["metadata"]["name"] == body["metadata"]["name"]
            ]
            expect(len(gone) == 1, f"the delete patch in {directory} matches {len(gone)} objects")
            docs.remove(gone[0])
        else:
            fail(f"{directory}: only JSON patches and `$patch: delete` are rendered by ci/deploy_check.py")
    names = [(d["kind"], d["metadata"]["name"]) for d in docs]
    expect(len(names) == len(set(names)), f"{directory} renders an object twice: {names}")
    return docs


def by_kind(docs: list[dict], kind: str) -> list[dict]:
    return [d for d in docs if d["kind"] == kind]


def selects(selector: dict, labels: dict) -> bool:
    return bool(selector) and all(labels.get(k) == v for k, v in selector.items())


def pod_labels(workload: dict) -> dict:
    return workload["spec"]["template"]["metadata"].get("labels", {})


def container_ports(workload: dict) -> set:
    ports = set()
    for container in workload["spec"]["template"]["spec"]["containers"]:
        for port in container.get("ports", []):
            ports |= {port["containerPort"], port.get("name")}
    return ports - {None}


VAR_REF = re.compile(r"\$\(([A-Za-z_][A-Za-z0-9_]*)\)")


def check_workload(workload: dict, pvcs: set[str]) -> set[tuple[str, str | None]]:
    """Checks one Deployment or StatefulSet; returns the (Secret, key) pairs it reads."""
    name = f"{workload['kind']} {workload['metadata']['name']}"
    spec = workload["spec"]
    expect(
        selects(spec["selector"]["matchLabels"], pod_labels(workload)),
        f"{name}: its selector misses its pods",
    )
    pod = spec["template"]["spec"]
    expect(pod.get("automountServiceAccountToken") is False, f"{name}: mounts a service account token")
    security = pod.get("securityContext", {})
    expect(
        security.get("runAsNonRoot") is True
        and security.get("seccompProfile", {}).get("type") == "RuntimeDefault",
        f"{name}: the pod must run as non-root with the RuntimeDefault seccomp profile",
    )
    for constraint in pod.get("topologySpreadConstraints", []):
        expect(
            selects(constraint["labelSelector"]["matchLabels"], pod_labels(workload)),
            f"{name}: a topology spread constraint selects other pods",
        )
    volumes = {v["name"]: v for v in pod.get("volumes", [])}
    claims = {t["metadata"]["name"] for t in spec.get("volumeClaimTemplates", [])}
    secrets: set[tuple[str, str | None]] = set()
    mounted = set()
    for container in pod["containers"]:
        where = f"{name}, container {container['name']}"
        context = container.get("securityContext", {})
        expect(
            context.get("allowPrivilegeEscalation") is False
            and context.get("readOnlyRootFilesystem") is True
            and context.get("capabilities", {}).get("drop") == ["ALL"],
            f"{where}: must not escalate, must have a read-only root and drop every capability",
        )
        resources = container.get("resources", {})
        expect(
            all(k in resources.get(kind, {}) for kind in ("requests", "limits") for k in ("cpu", "memory")),
            f"{where}: needs cpu and memory requests and limits",
        )
        for probe in ("livenessProbe", "readinessProbe"):
            expect(probe in container, f"{where}: has no {probe}")
            handler = container[probe].get("httpGet") or container[probe].get("tcpSocket")
            expect(
                handler and handler["port"] in container_ports(workload),
                f"{where}: {probe} probes no port of its own",
            )
        defined: set[str] = set()
        for var in container.get("env", []):
            for ref in VAR_REF.findall(var.get("value", "")):
                expect(ref in defined, f"{where}: {var['name']} refers to $({ref}), not defined before it")
            ref = var.get("valueFrom", {}).get("secretKeyRef")
            if ref:
                secrets.add((ref["name"], ref["key"]))
            defined.add(var["name"])
        for word in container.get("command", []) + container.get("args", []):
            for ref in VAR_REF.findall(word):
                expect(ref in defined, f"{where}: its command refers to $({ref}), which is not in its env")
        for mount in container.get("volumeMounts", []):
            expect(
                mount["name"] in volumes or mount["name"] in claims,
                f"{where}: mounts unknown volume {mount['name']}",
            )
            mounted.add(mount["name"])
    expect(
        mounted == set(volumes) | claims,
        f"{name}: volumes mounted nowhere: {set(volumes) | claims - mounted}",
    )
    for volume in volumes.values():
        if "persistentVolumeClaim" in volume:
            expect(
                volume["persistentVolumeClaim"]["claimName"] in pvcs,
                f"{name}: its claim is not in the manifests",
            )
        if "secret" in volume:
            items = volume["secret"].get("items") or [{"key": None}]
            secrets |= {(volume["secret"]["secretName"], item["key"]) for item in items}
    return secrets


def check_manifests(docs: list[dict], where: Path) -> tuple[dict, set]:
    """What both the base and the overlay must get right; returns the gallery and its Secrets."""
    workloads = by_kind(docs, "Deployment") + by_kind(docs, "StatefulSet")
    pvcs = {d["metadata"]["name"] for d in by_kind(docs, "PersistentVolumeClaim")}
    secrets: set = set()
    for workload in workloads:
        secrets |= check_workload(workload, pvcs)
    services = {d["metadata"]["name"]: d for d in by_kind(docs, "Service")}
    for service in services.values():
        chosen = [w for w in workloads if selects(service["spec"]["selector"], pod_labels(w))]
        expect(
            len(chosen) == 1,
            f"{where}: Service {service['metadata']['name']} selects {len(chosen)} workloads",
        )
        for port in service["spec"]["ports"]:
            expect(
                port["targetPort"] in container_ports(chosen[0]),
                f"{where}: Service {service['metadata']['name']} targets port {port['targetPort']}, which its pods lack",
            )
    for workload in by_kind(docs, "StatefulSet"):
        expect(
            workload["spec"]["serviceName"] in services,
            f"{where}: {workload['metadata']['name']}'s serviceName is no Service",
        )
    for budget in by_kind(docs, "PodDisruptionBudget"):
        chosen = [w for w in workloads if selects(budget["spec"]["selector"]["matchLabels"], pod_labels(w))]
        expect(
            len(chosen) == 1,
            f"{where}: PodDisruptionBudget {budget['metadata']['name']} selects {len(chosen)} workloads",
        )
    for policy in by_kind(docs, "NetworkPolicy"):
        chosen = [
            w for w in workloads if selects(policy["spec"]["podSelector"]["matchLabels"], pod_labels(w))
        ]
        expect(
            len(chosen) == 1,
            f"{where}: NetworkPolicy {policy['metadata']['name']} guards {len(chosen)} workloads",
        )
        for rule in policy["spec"]["ingress"]:
            for peer in rule["from"]:
                expect(
                    any(selects(peer["podSelector"]["matchLabels"], pod_labels(w)) for w in workloads),
                    f"{where}: NetworkPolicy {policy['metadata']['name']} admits pods that do not exist",
                )
            for port in rule.get("ports", []):
                expect(
                    port["port"] in container_ports(chosen[0]),
                    f"{where}: NetworkPolicy opens a port its pods lack",
                )
    galleries = [d for d in by_kind(docs, "Deployment") if d["metadata"]["name"] == "een-gallery"]
    expect(len(galleries) == 1, f"{where}: no Deployment een-gallery")
    return galleries[0], secrets


def gallery_container(deployment: dict) -> dict:
    return deployment["spec"]["template"]["spec"]["containers"][0]


def env_of(container: dict) -> dict[str, dict]:
    return {var["name"]: var for var in container.get("env", [])}


def documented_secrets() -> dict[str, set]:
    """The Secrets the example files and the kustomization comments say how to create."""
    known: dict[str, set] = {}
    for path in (KUBERNETES / "secret.example.yaml", REPLICAS / "secrets.example.yaml"):
        for doc in load_docs(path):
            known.setdefault(doc["metadata"]["name"], set()).update(doc.get("stringData", {}))
    for path in (KUBERNETES / "kustomization.yaml", REPLICAS / "kustomization.yaml"):
        for name, rest in re.findall(r"kubectl create secret generic (\S+)([^\n]*)", path.read_text()):
            known.setdefault(name, set()).update(re.findall(r"--from-(?:literal|file)=([\w-]+)=", rest))
    return known


def check_kubernetes(kubernetes_validate: str) -> tuple[list[dict], list[dict]]:
    base = render(KUBERNETES)
    replicas = render(REPLICAS)
    with tempfile.TemporaryDirectory() as tmp:
        for name, docs in (("base", base), ("replicas", replicas)):
            path = Path(tmp) / f"{name}.yaml"
            path.write_text(yaml.safe_dump_all(docs))
            out = subprocess.run(
                [kubernetes_validate, "--strict", "--kubernetes-version", KUBERNETES_VERSION, str(path)],
                capture_output=True,
                text=True,
            )
            expect(
                out.returncode == 0,
                f"the rendered {name} manifests fail the schemas:\n{out.stdout}{out.stderr}",
            )
    ok(
        f"rendered: base {len(base)} objects, replicas {len(replicas)} objects; both valid for Kubernetes "
        f"{KUBERNETES_VERSION} (kubernetes-validate --strict)"
    )

    gallery, base_secrets = check_manifests(base, KUBERNETES)
    expect(
        gallery["spec"]["replicas"] == 1 and gallery["spec"]["strategy"]["type"] == "Recreate",
        "the base must stay one replica, Recreate (its v3 connection is a file on a ReadWriteOnce volume)",
    )
    expect(by_kind(base, "PersistentVolumeClaim"), "the base has no volume claim for DATA_DIR")
    ok(
        "base: one replica (Recreate) with its PersistentVolumeClaim; selectors, ports, volumes, probes, hardening line up"
    )

    gallery, secrets = check_manifests(replicas, REPLICAS)
    expect(gallery["spec"]["replicas"] >= 2, "the replicas overlay runs fewer than 2 replicas")
    expect(gallery["spec"]["strategy"]["type"] == "RollingUpdate", "the replicas overlay keeps Recreate")
    expect(
        not by_kind(replicas, "PersistentVolumeClaim"), "the replicas overlay keeps a PersistentVolumeClaim"
    )
    pod = gallery["spec"]["template"]["spec"]
    expect(not any("persistentVolumeClaim" in v for v in pod.get("volumes", [])), "a replica mounts a claim")
    container = gallery_container(gallery)
    env = env_of(container)
    url = urlsplit(env.get("STORE_URL", {}).get("value", ""))
    services = {d["metadata"]["name"]: d for d in by_kind(replicas, "Service")}
    expect(
        url.scheme in ("redis", "valkey") and url.hostname in services,
        f"STORE_URL names no Service: {url.geturl()}",
    )
    store_service = services[url.hostname]
    expect(
        url.port in [p["port"] for p in store_service["spec"]["ports"]],
        "STORE_URL's port is not its Service's",
    )
    valkey = [
        w
        for w in by_kind(replicas, "StatefulSet")
        if selects(store_service["spec"]["selector"], pod_labels(w))
    ]
    expect(len(valkey) == 1, "STORE_URL's Service selects no Valkey StatefulSet")
    valkey_container = valkey[0]["spec"]["template"]["spec"]["containers"][0]
    args = valkey_container.get("args", [])
    expect(args[:1] == ["valkey-server"], "Valkey's args do not start with valkey-server")
    compose_valkey = yaml.safe_load(COMPOSE.read_text())["services"]["valkey"]["command"]
    same = {k: v for k, v in flags(args).items() if k != "--requirepass"}
    expect(
        same == flags(compose_valkey),
        f"Valkey runs with {same} in Kubernetes but {flags(compose_valkey)} in compose.yaml",
    )
    expect(same.get("--maxmemory-policy") == "volatile-lru", "Valkey must evict with volatile-lru")
    password = VAR_REF.findall(flags(args).get("--requirepass", ""))
    expect(
        password
        and env_of(valkey_container)[password[0]]["valueFrom"]["secretKeyRef"]
        == env[VAR_REF.findall(url.password or "")[0]]["valueFrom"]["secretKeyRef"],
        "Valkey's password and the one in STORE_URL come from different Secrets",
    )
    ok(
        f"replicas: {gallery['spec']['replicas']} replicas (RollingUpdate), no volume claim; STORE_URL "
        f"{url.scheme}://:…@{url.hostname}:{url.port} is the Valkey StatefulSet's Service, with the password "
        f"Valkey requires; Valkey's flags are compose.yaml's"
    )

    users_file = Path(env.get("AUTH_USERS_FILE", {}).get("value", "/"))
    mounts = {m["mountPath"]: m for m in container.get("volumeMounts", [])}
    volumes = {v["name"]: v for v in pod.get("volumes", [])}
    holder = mounts.get(str(users_file.parent))
    expect(
        holder is not None and holder.get("readOnly") and "secret" in volumes[holder["name"]],
        f"AUTH_USERS_FILE {users_file} is not in a read-only Secret mount",
    )
    data_dir = env.get("DATA_DIR", {}).get("value", "")
    expect(
        not any(Path(data_dir).is_relative_to(m) for m in mounts),
        "DATA_DIR is a volume in the replicas overlay",
    )
    ok(
        f"replicas: the users file {users_file} from the Secret {volumes[holder['name']]['secret']['secretName']} "
        f"(read-only); DATA_DIR {data_dir} is no volume (nothing is written there)"
    )

    documented = documented_secrets()
    for name, key in sorted(base_secrets | secrets, key=str):
        expect(
            name in documented,
            f"the Secret {name} is read but no example or kustomization says how to create it",
        )
        expect(
            key is None or key in documented[name],
            f"the Secret {name} is read by key {key}, which its example lacks",
        )
    ok(f"every Secret read is documented: {', '.join(sorted({n for n, _ in base_secrets | secrets}))}")
    return base, replicas


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    sub = parser.add_subparsers(dest="what", required=True)
    compose = sub.add_parser("compose")
    compose.add_argument("--podman-compose", required=True)
    kubernetes = sub.add_parser("kubernetes")
    kubernetes.add_argument("--kubernetes-validate", required=True)
    args = parser.parse_args()
    try:
        if args.what == "compose":
            check_compose(args.podman_compose)
        else:
            check_kubernetes(args.kubernetes_validate)
    except CheckFailed as error:
        print(f"deploy-check: FAIL: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
