# Runs the jupyterhub chart's own jupyterhub_config.py, the way the hub
# container loads it (traitlets: the file is executed with `c` bound to a
# traitlets Config), and prints the resulting KubeSpawner and Spawner
# configuration as JSON for internal/runtimepods to assemble the user pod.
#
# usage: python3 kubespawner_config.py <prefix>
#
# <prefix> stands in for /usr/local/etc/jupyterhub of the hub container: it
# holds jupyterhub_config.py and z2jh.py (with that one path replaced by
# <prefix>, nothing else changed), config/ (the ConfigMap "hub") and secret/
# (the Secret "hub", whose values.yaml is the chart's rendered values).
import json
import os
import sys

from traitlets.config import Config, LazyConfigValue

# jupyterhub 5.5.0 jupyterhub/traitlets.py: Spawner.mem_limit and
# mem_guarantee are ByteSpecification traits, so "4G" reaches KubeSpawner
# as 4 * 1024**3 bytes.
from jupyterhub.traitlets import ByteSpecification

# Kubernetes model classes (V1Container...) from Debian's python3-kubernetes;
# kubernetes_asyncio generates the same V1* models from the same OpenAPI
# spec, and its ApiClient serialises them the same way.
from kubernetes.client import ApiClient

prefix = sys.argv[1]
MARKER = "--- runtimepods: kubespawner settings ---"
path = os.path.join(prefix, "jupyterhub_config.py")

c = Config()
with open(path) as f:
    source = f.read()
# traitlets.config.loader.PyFileConfigLoader executes the file with
# c = the Config and get_config returning it.
namespace = {"c": c, "get_config": lambda: c, "__file__": path, "__name__": "__main__"}
exec(compile(source, path, "exec"), namespace)

api = ApiClient()
byte_spec = ByteSpecification()
BYTE_TRAITS = ("mem_limit", "mem_guarantee")


def plain(v):
    if isinstance(v, LazyConfigValue):
        # c.KubeSpawner.init_containers.append(...) on an unset trait: the
        # lazy value applies to the trait's default, [] for the list traits
        # the chart appends to (KubeSpawner 7.0.0 spawner.py).
        v = v.get_value({} if v._update is not None else [])
    if hasattr(v, "openapi_types"):
        return api.sanitize_for_serialization(v)
    if isinstance(v, dict):
        return {str(k): plain(x) for k, x in v.items()}
    if isinstance(v, (list, tuple, set)):
        return [plain(x) for x in v]
    return v


def traits(section):
    out = {k: plain(v) for k, v in c[section].items()}
    for k in BYTE_TRAITS:
        if out.get(k) is not None:
            out[k] = byte_spec.validate(None, out[k])
    for profile in out.get("profile_list") or []:
        override = profile.get("kubespawner_override") or {}
        for k in BYTE_TRAITS:
            if override.get(k) is not None:
                override[k] = byte_spec.validate(None, override[k])
    return out


# The chart's code prints progress ("Loading ..."); a marker line starts the result.
print("\n" + MARKER)
json.dump({"KubeSpawner": traits("KubeSpawner"), "Spawner": traits("Spawner")}, sys.stdout)
