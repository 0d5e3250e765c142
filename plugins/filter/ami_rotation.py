# -*- coding: utf-8 -*-
# Copyright: flinkops.fleet developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Data shaping for the ``flinkops.fleet.ami_rotation`` role (pure functions, no AWS calls).

The role's AWS calls are made by ``amazon.aws`` modules; these filters turn their results into nodes, plans and
decisions so that the logic is unit-testable without AWS (tests/unit/test_ami_rotation_filters.py).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type  # pylint: disable=invalid-name

import re

from ansible.errors import AnsibleFilterError

REFRESH_RUNNING = ("Pending", "InProgress", "Baking", "Cancelling", "RollbackInProgress")
REFRESH_SUCCESS = ("Successful",)
ADDRESS_ATTRIBUTES = ("private_ip_address", "private_dns_name", "public_ip_address", "public_dns_name")
STRATEGIES = ("replace", "instance_refresh", "blue_green")


def _tags(instance):
    tags = instance.get("tags") or {}
    if isinstance(tags, list):  # boto3-style [{key, value}] as returned by some info modules
        tags = dict((t.get("key", t.get("Key")), t.get("value", t.get("Value"))) for t in tags)
    return tags


def nodes(instances, address_map=None, address_attribute="private_ip_address", address_tag="", address_pool=None,
          role_tag="flink:role"):
    """``ec2_instance_info`` instances -> sorted node dicts ``{id, ami, address, asg, role, architecture, ...}``.

    Address precedence: ``address_map[instance_id]``, then the value of tag ``address_tag``, then the next free
    entry of ``address_pool`` (a list, or a dict whose keys are ``<role>@<ami>`` or ``<role>``, the first more
    specific, assigned in instance-id order), then the instance's ``address_attribute`` (private IP by default).
    """
    address_map = address_map or {}
    if address_attribute not in ADDRESS_ATTRIBUTES:
        raise AnsibleFilterError("address_attribute must be one of %s, got %r" % (", ".join(ADDRESS_ATTRIBUTES), address_attribute))
    pools = {}
    if isinstance(address_pool, dict):
        pools = dict((k, list(v or [])) for k, v in address_pool.items())
    elif address_pool:
        pools = {None: list(address_pool)}
    result = []
    for inst in sorted(instances or [], key=lambda i: i.get("instance_id", "")):
        tags = _tags(inst)
        role = tags.get(role_tag, "")
        iid = inst.get("instance_id")
        address = address_map.get(iid) or (tags.get(address_tag) if address_tag else None)
        if not address and pools:
            specific = "%s@%s" % (role, inst.get("image_id"))
            pool = pools[specific] if specific in pools else (pools.get(role) if role in pools else pools.get(None))
            if pool:
                address = pool.pop(0)
        if not address:
            address = inst.get(address_attribute) or inst.get("private_ip_address") or ""
        profile = inst.get("iam_instance_profile") or {}
        result.append({
            "id": iid,
            "ami": inst.get("image_id"),
            "address": address,
            "asg": tags.get("aws:autoscaling:groupName", ""),
            "role": role,
            "architecture": inst.get("architecture") or "",
            "state": (inst.get("state") or {}).get("name", ""),
            "private_ip": inst.get("private_ip_address") or "",
            "private_dns": inst.get("private_dns_name") or "",
            "instance_type": inst.get("instance_type") or "",
            "subnet_id": inst.get("subnet_id") or "",
            "key_name": inst.get("key_name") or "",
            "security_group_ids": [g.get("group_id") for g in inst.get("security_groups") or [] if g.get("group_id")],
            "iam_instance_profile": profile.get("arn", ""),
            "launch_time": str(inst.get("launch_time") or ""),
            "tags": dict((k, v) for k, v in tags.items() if not k.startswith("aws:")),
        })
    return sorted(result, key=lambda n: (n["asg"], n["id"]))


def target_errors(images, wanted, nodes_list, source="", tied=None):
    """Reasons why the target AMI cannot be used (empty list = fine).

    ``images`` is the ``images`` list of ``ec2_ami_info`` for ``wanted`` (may be empty); ``nodes_list`` the nodes;
    ``tied`` the images that share the newest creation date with ``wanted`` (see ``newest_tied``).
    """
    what = "target AMI %s%s" % (wanted or "(none)", " (from %s)" % source if source else "")
    if tied:
        return ["%s is not the only newest match: %s created in the same second (%s); narrow the filters or set "
                "ami_rotation_target_ami_id" % (what, ", ".join(sorted(tied)) + (" was" if len(tied) == 1 else " were"),
                                                tied_date(images, wanted))]
    image = None
    for candidate in images or []:
        if not wanted or candidate.get("image_id") == wanted:
            image = candidate
            break
    if not wanted or image is None:
        return ["%s not found" % what]
    errors = []
    if image.get("state") != "available":
        errors.append("%s is not available (state: %s)" % (what, image.get("state")))
    arch = image.get("architecture") or ""
    node_archs = sorted(set(n.get("architecture") for n in nodes_list or [] if n.get("architecture")))
    wrong = [a for a in node_archs if a != arch]
    if wrong:
        errors.append("%s has architecture %s but the nodes are %s" % (what, arch or "(unknown)", ", ".join(node_archs)))
    return errors


def newest_image(images):
    """The image id of the newest image (by ``creation_date``) or ``""``."""
    images = [i for i in images or [] if i.get("image_id")]
    if not images:
        return ""
    return sorted(images, key=lambda i: (i.get("creation_date") or "", i.get("image_id")))[-1]["image_id"]


def newest_tied(images):
    """The other image ids created at the same time as the newest one (``creation_date`` has one-second steps)."""
    images = [i for i in images or [] if i.get("image_id")]
    newest = newest_image(images)
    date = [i.get("creation_date") or "" for i in images if i["image_id"] == newest][:1]
    return sorted(set(i["image_id"] for i in images if (i.get("creation_date") or "") in date and i["image_id"] != newest))


def tied_date(images, wanted):
    """The ``creation_date`` of ``wanted`` in ``images`` (for messages)."""
    return ([i.get("creation_date") for i in images or [] if i.get("image_id") == wanted] + ["unknown date"])[0]


def plan(nodes_list, target_ami, strategy):
    """One entry per node: ``{id, address, asg, role, current_ami, target_ami, action}``; action ``skip`` when on target."""
    if strategy not in STRATEGIES:
        raise AnsibleFilterError("strategy must be one of %s, got %r" % (", ".join(STRATEGIES), strategy))
    entries = []
    for node in nodes_list or []:
        entries.append({
            "id": node["id"],
            "address": node.get("address", ""),
            "asg": node.get("asg", ""),
            "role": node.get("role", ""),
            "current_ami": node.get("ami"),
            "target_ami": target_ami,
            "action": "skip" if node.get("ami") == target_ami else strategy,
        })
    return entries


def plan_errors(plan_entries, strategy, asg_names=None):
    """Reasons why ``strategy`` cannot run on this plan (nodes outside an ASG for replace/instance_refresh...)."""
    errors = []
    if not plan_entries:
        errors.append("no nodes found (ASGs: %s): refusing to rotate an empty node set" % (", ".join(asg_names or []) or "-"))
    if strategy in ("replace", "instance_refresh"):
        loose = [e["id"] for e in plan_entries or [] if e["action"] != "skip" and not e.get("asg")]
        if loose:
            errors.append("strategy %s needs nodes in an auto scaling group; not in one: %s (use blue_green)" % (strategy, ", ".join(loose)))
    return errors


def _resolve_version(spec, template):
    spec = str(spec or "$Default")
    if spec == "$Latest":
        return int(template["latest_version_number"])
    if spec == "$Default":
        return int(template["default_version_number"])
    return int(spec)


def template_plan(groups, templates, target_ami, set_default=False, asg_names=None):
    """Launch template work per ASG: ``[{asg, template_id, template_name, version_spec, version, image, needs_version,
    update_asg, follows_new}]``.

    ``groups``: ``autoscaling_group_info`` results; ``templates``: ``ec2_launch_template_info`` launch_templates.
    ``needs_version``: the version the ASG launches from is not on ``target_ami``. ``update_asg``: after a new version is
    created, the ASG must be pointed at it (its spec is a fixed number, or ``$Default`` while the default stays).
    ``follows_new``: the ASG launches from whatever version is created next (``$Latest``, or ``$Default`` when the
    default moves): blue/green must pin it to ``version`` first, or the old nodes' replacements get the new AMI.
    Only ASGs in ``asg_names`` (when given) are considered.
    """
    by_id = dict((t["launch_template_id"], t) for t in templates or [])
    result = []
    for group in groups or []:
        name = group.get("auto_scaling_group_name")
        if asg_names is not None and name not in asg_names:
            continue
        spec_lt = group.get("launch_template") or {}
        if not spec_lt:
            raise AnsibleFilterError("ASG %s has no launch template (launch configurations and mixed instances policies are not supported)" % name)
        template = by_id.get(spec_lt.get("launch_template_id"))
        if template is None:
            raise AnsibleFilterError("launch template %s of ASG %s not found" % (spec_lt.get("launch_template_id"), name))
        spec = str(spec_lt.get("version") or "$Default")
        version = _resolve_version(spec, template)
        data = {}
        for ver in template.get("versions") or []:
            if int(ver["version_number"]) == version:
                data = ver.get("launch_template_data") or {}
        image = data.get("image_id", "")
        follows_new = spec == "$Latest" or (spec == "$Default" and set_default)
        result.append({
            "asg": name,
            "template_id": template["launch_template_id"],
            "template_name": template.get("launch_template_name", ""),
            "version_spec": spec,
            "version": version,
            "default_version": int(template["default_version_number"]),
            "latest_version": int(template["latest_version_number"]),
            "image": image,
            "needs_version": image != target_ami,
            "update_asg": image != target_ami and not follows_new,
            "follows_new": follows_new,
        })
    return result


def templates_to_version(template_entries):
    """Unique templates that need a new version: ``[{template_id, template_name, source_version}]``."""
    seen = {}
    for entry in template_entries or []:
        if entry["needs_version"] and entry["template_id"] not in seen:
            seen[entry["template_id"]] = {"template_id": entry["template_id"], "template_name": entry["template_name"],
                                          "source_version": str(entry["version"])}
    return list(seen.values())


def replacements_ready(asg_instances, before_ids, expected):
    """True when every ASG in ``expected`` ({asg: n}) has at least n ``InService`` instances not in ``before_ids``
    and none of ``before_ids`` that were terminated is still InService (``autoscaling_instance_info`` list)."""
    before = set(before_ids or [])
    for asg, count in (expected or {}).items():
        fresh = [i for i in asg_instances or [] if i.get("auto_scaling_group_name") == asg
                 and i.get("lifecycle_state") == "InService" and i.get("instance_id") not in before]
        if len(fresh) < int(count):
            return False
    return True


def refresh_state(refreshes, refresh_id=None):
    """Classify an instance refresh: ``running``, ``successful``, ``failed`` or ``unknown``.

    ``refreshes``: ``instance_refreshes`` of ``autoscaling_instance_refresh_info`` (snake_case keys) or of the
    ``autoscaling_instance_refresh`` module (a dict).
    """
    if isinstance(refreshes, dict):
        refreshes = [refreshes]
    chosen = None
    for item in refreshes or []:
        if refresh_id is None or item.get("instance_refresh_id") == refresh_id:
            chosen = item
            break
    if chosen is None:
        return "unknown"
    status = chosen.get("status", "")
    if status in REFRESH_RUNNING:
        return "running"
    if status in REFRESH_SUCCESS:
        return "successful"
    return "failed"


def blue_green_name(asg_name, target_ami, names=None):
    """Name of the new (green) ASG for ``asg_name``: ``names[asg_name]`` or ``<asg_name without -ami-...>-<ami>``."""
    if names and names.get(asg_name):
        return names[asg_name]
    base = re.sub(r"-ami-[0-9a-f]+$", "", asg_name)
    return "%s-%s" % (base, target_ami)


def asg_tags(group_tags, overrides=None, extra=None):
    """``autoscaling_group_info`` tags -> ``autoscaling_group`` module tags, with ``overrides``/``extra`` dicts applied."""
    merged = []
    index = {}
    for tag in group_tags or []:
        key = tag.get("key")
        if key is None or key.startswith("aws:"):
            continue
        index[key] = len(merged)
        merged.append({key: tag.get("value", ""), "propagate_at_launch": bool(tag.get("propagate_at_launch", True))})
    for source in (overrides or {}, extra or {}):
        for key, value in source.items():
            item = {key: value, "propagate_at_launch": True}
            if key in index:
                merged[index[key]] = item
            else:
                index[key] = len(merged)
                merged.append(item)
    return merged


def brief(nodes_list):
    """Nodes reduced to the documented result keys ``{id, ami, address, asg, role}``."""
    return [dict((k, n.get(k, "")) for k in ("id", "ami", "address", "asg", "role")) for n in nodes_list or []]


def plan_line(entry):
    """One human-readable plan line: ``i-1 (asg/role @ address): ami-old -> ami-new: action``."""
    where = "/".join(x for x in (entry.get("asg"), entry.get("role")) if x) or "-"
    return "%s (%s @ %s): %s -> %s: %s" % (entry["id"], where, entry.get("address") or "-", entry.get("current_ami"),
                                           entry.get("target_ami"), entry.get("action"))


def wrong_ami(instances, target_ami, ids=None):
    """``["i-1 (ami-x)", ...]``: the instances (``ec2_instance_info`` instances or ami_rotation nodes) among ``ids`` (all
    when None) that do not run ``target_ami``; an id of ``ids`` not among the instances counts as wrong too."""
    wrong, seen = [], set()
    for inst in instances or []:
        inst_id = inst.get("instance_id") or inst.get("id")
        ami = inst.get("image_id") or inst.get("ami")
        seen.add(inst_id)
        if (ids is None or inst_id in ids) and ami != target_ami:
            wrong.append("%s (runs %s)" % (inst_id, ami))
    return wrong + ["%s (not found)" % inst_id for inst_id in ids or [] if inst_id not in seen]


def short_groups(groups):
    """Names of ``autoscaling_group_info`` groups with fewer InService instances than their desired capacity."""
    short = []
    for group in groups or []:
        in_service = [i for i in group.get("instances") or [] if i.get("lifecycle_state") == "InService"]
        if len(in_service) < int(group.get("desired_capacity") or 0):
            short.append(group.get("auto_scaling_group_name"))
    return short


# A wave (the clusters of one serial batch) can read AWS once for all its clusters instead of once per cluster: one
# cluster (run_once) makes each describe for every cluster with the same AWS connection whose node filters differ at
# most in the values of one tag filter. Each cluster then takes the part of a describe that was made for its own request
# (the request, with its time stamp, is recorded in the describe's loop item) and describes anything else itself.
GROUP_TAG_FILTER = "tag:aws:autoscaling:groupName"
WAVE_PARTS = ("images", "instances", "groups", "templates")


def _filter_values(value):
    values = value if isinstance(value, (list, tuple)) else [value]
    return sorted(set(("true" if v else "false") if isinstance(v, bool) else str(v) for v in values))


def wave_request(connection, asg_names=None, node_filters=None, image_id="", at=0.0):
    """What one cluster's plan reads from AWS, as a request to a wave-wide describe (``{}``: nothing to read).

    ``connection`` identifies the AWS connection (region, endpoint, credentials); the filters are those of the
    cluster's own node discovery (its node filters, and its ASG names as ``tag:aws:autoscaling:groupName``).
    """
    filters = dict((k, _filter_values(v)) for k, v in (node_filters or {}).items())
    if asg_names:
        filters[GROUP_TAG_FILTER] = _filter_values(list(asg_names))
    if not filters:
        return {}
    return {"key": connection, "filters": filters, "asgs": _filter_values(list(asg_names or [])), "image": image_id or "",
            "at": at}


def _splittable(key, requests):
    """A tag filter whose values can be unioned and matched again per cluster (EC2 wildcards, no escapes)."""
    return key.startswith("tag:") and not any("\\" in v for r in requests for v in r["filters"][key])


def _split_key(mine, peers):
    """The tag filter in which most peers differ from ``mine`` (and in nothing else); "" when none does."""
    counts = {}
    for request in peers.values():
        diff = [k for k in mine["filters"] if request["filters"][k] != mine["filters"][k]]
        if len(diff) == 1 and _splittable(diff[0], [mine, request]):
            counts[diff[0]] = counts.get(diff[0], 0) + 1
    return max(sorted(counts), key=lambda k: counts[k]) if counts else ""


def wave(requests, me):
    """The describes cluster ``me`` makes for its wave: ``{members, filters, split, asgs, images}``.

    ``requests`` maps every cluster of the wave to its ``wave_request``. Members are the clusters with ``me``'s
    connection whose filters equal ``me``'s except in the values of the ``split`` tag filter; ``filters`` unions those.
    """
    mine = (requests or {}).get(me) or {}
    if not mine.get("filters"):
        return {"members": {}, "filters": {}, "split": "", "asgs": [], "images": []}
    peers = dict((h, r) for h, r in requests.items()
                 if r and r.get("key") == mine["key"] and set(r.get("filters") or {}) == set(mine["filters"]))
    split = _split_key(mine, peers)
    members = dict((h, r) for h, r in peers.items()
                   if all(r["filters"][k] == mine["filters"][k] for k in mine["filters"] if k != split))
    filters = dict(mine["filters"])
    if split:
        filters[split] = _filter_values([v for r in members.values() for v in r["filters"][split]])
    return {"members": members, "filters": filters, "split": split,
            "asgs": _filter_values([a for r in members.values() for a in r["asgs"]]),
            "images": _filter_values([r["image"] for r in members.values() if r["image"]])}


def _ec2_match(value, pattern):
    """EC2 filter value matching: ``*`` any characters, ``?`` one character, case-sensitive."""
    regex = "".join(".*" if c == "*" else ("." if c == "?" else re.escape(c)) for c in pattern)
    return re.match("(?s)%s\\Z" % regex, value) is not None


def _served(described, host, request, data):
    """The result of one wave describe if it was made for this very request and worked, else None.

    The describes run with ``failed_when: false`` (a failed call must not fail the wave), so a call worked when its
    result holds its ``data`` key: a module failure leaves only ``msg`` and the error.
    """
    results = (described or {}).get("results") or []
    if len(results) != 1 or results[0].get("failed") or results[0].get("skipped") or data not in results[0]:
        return None
    item = results[0].get("item") or {}
    return results[0] if (item.get("members") or {}).get(host) == request else None


def group_names(instances):
    """Sorted names of the auto scaling groups the ``ec2_instance_info`` instances belong to."""
    return sorted(set(_tags(i).get("aws:autoscaling:groupName") for i in instances or []) - set([None, ""]))


def template_ids(groups):
    """Sorted ids of the launch templates of ``autoscaling_group_info`` groups (groups without one are left out)."""
    return sorted(set((g.get("launch_template") or {}).get("launch_template_id") for g in groups or []) - set([None, ""]))


def _own_instances(described, request):
    """The instances of a wave describe that match this request's values of the split tag (like EC2's own filter)."""
    split = described["item"]["split"]
    instances = described.get("instances") or []
    if not split:
        return list(instances)
    tag, patterns = split[len("tag:"):], request["filters"][split]
    values = [(i, _tags(i).get(tag)) for i in instances]
    return [i for i, value in values if value is not None and any(_ec2_match(value, p) for p in patterns)]


def wave_share(described, host, request):
    """The parts (images, instances, groups, templates) of the wave's describes that serve ``host``'s ``request``.

    ``described`` maps each part to the registered result of its run_once describe. A part is None when it was not
    made for this request (another wave, an older plan, a failed call): the cluster then describes it itself.
    """
    share = dict.fromkeys(WAVE_PARTS)
    if not request:
        return share
    described = described or {}
    images = _served(described.get("images"), host, request, "images")
    if images and request.get("image"):
        share["images"] = [i for i in images.get("images") or [] if i.get("image_id") == request["image"]]
    instances = _served(described.get("instances"), host, request, "instances")
    if not instances:
        return share
    share["instances"] = _own_instances(instances, request)
    wanted = set(request["asgs"]) | set(group_names(share["instances"]))
    groups = _served(described.get("groups"), host, request, "results")
    if not wanted or not groups or not wanted <= set(groups["item"].get("asgs") or []):
        return share
    share["groups"] = [g for g in groups.get("results") or [] if g.get("auto_scaling_group_name") in wanted]
    own_templates = set(template_ids(share["groups"]))
    templates = _served(described.get("templates"), host, request, "launch_templates")
    if own_templates and templates and own_templates <= set(templates["item"].get("template_ids") or []):
        share["templates"] = [t for t in templates.get("launch_templates") or [] if t.get("launch_template_id") in own_templates]
    return share


class FilterModule:
    """Filters of the ami_rotation role."""

    def filters(self):
        return {
            "ami_rotation_nodes": nodes,
            "ami_rotation_brief": brief,
            "ami_rotation_short_groups": short_groups,
            "ami_rotation_wrong_ami": wrong_ami,
            "ami_rotation_plan_line": plan_line,
            "ami_rotation_target_errors": target_errors,
            "ami_rotation_newest_image": newest_image,
            "ami_rotation_newest_tied": newest_tied,
            "ami_rotation_plan": plan,
            "ami_rotation_plan_errors": plan_errors,
            "ami_rotation_template_plan": template_plan,
            "ami_rotation_templates_to_version": templates_to_version,
            "ami_rotation_replacements_ready": replacements_ready,
            "ami_rotation_refresh_state": refresh_state,
            "ami_rotation_blue_green_name": blue_green_name,
            "ami_rotation_asg_tags": asg_tags,
            "ami_rotation_wave_request": wave_request,
            "ami_rotation_wave": wave,
            "ami_rotation_wave_share": wave_share,
            "ami_rotation_group_names": group_names,
            "ami_rotation_template_ids": template_ids,
        }
