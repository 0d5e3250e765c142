# -*- coding: utf-8 -*-
"""A loopback proxy in front of moto for what moto cannot do: the ASG instance refresh API, and AWS failures.

Every request is forwarded to moto except the autoscaling actions ``StartInstanceRefresh``,
``DescribeInstanceRefreshes`` and ``CancelInstanceRefresh``: those get responses shaped like the recorded AWS
query-protocol XML below, with the statuses given by ``script`` (one per Describe call, the last one repeats).
When the scripted status is ``Successful`` the stub performs the refresh for real in moto (each old instance is
terminated inside its ASG without decrementing the capacity, so moto launches the replacement from the ASG's
launch template) -- so the role's post-refresh checks see real instances.

``faults={"RunInstances": (1, "InstanceLimitExceeded", "...")}`` makes the stub answer the n-th call
(1-based) of an action with that AWS error (HTTP 400, in the error XML of the action's service, EC2 or query
protocol) instead of forwarding it: a failure injected exactly where AWS can fail while moto never does.
"""

import re
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

import requests

NS = "http://autoscaling.amazonaws.com/doc/2011-01-01/"

REFRESH_XML = """<InstanceRefresh>
  <InstanceRefreshId>{id}</InstanceRefreshId>
  <AutoScalingGroupName>{asg}</AutoScalingGroupName>
  <Status>{status}</Status>
  <StatusReason>{reason}</StatusReason>
  <StartTime>2026-01-01T00:00:00Z</StartTime>
  <PercentageComplete>{percent}</PercentageComplete>
  <InstancesToUpdate>{todo}</InstancesToUpdate>
  <Preferences>
    <MinHealthyPercentage>{min_healthy}</MinHealthyPercentage>
    <InstanceWarmup>{warmup}</InstanceWarmup>
    <SkipMatching>{skip}</SkipMatching>
  </Preferences>
</InstanceRefresh>"""


class AwsStub:
    """``AwsStub(moto, script=["Pending", "InProgress", "Successful"], reason="...", faults={...})``;
    ``.endpoint_url``."""

    def __init__(self, moto, script=("Successful",), reason="", faults=None):
        self.moto = moto
        self.script = list(script)
        self.reason = reason
        self.faults = dict(faults or {})
        self.seen = {}  # action -> calls so far (forwarded or failed)
        self.lock = threading.Lock()
        self.calls = []  # (action, params)
        self.refreshes = {}  # id -> dict
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # quiet
                pass

            def do_POST(self):  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                params = dict((k, v[0]) for k, v in parse_qs(body.decode("utf-8", "replace")).items())
                action = params.get("Action", "")
                with stub.lock:  # handlers run in threads: the n-th call must be counted exactly once
                    stub.seen[action] = stub.seen.get(action, 0) + 1
                    nth = stub.seen[action]
                fault = stub.faults.get(action)
                if fault is not None and nth == fault[0]:
                    stub.calls.append((action, params))
                    self._reply(400, stub.error_xml(self.headers.get("Authorization", ""), fault[1], fault[2]), "text/xml")
                    return
                handler = getattr(stub, "_" + action, None)
                if handler is not None:
                    stub.calls.append((action, params))
                    self._reply(200, handler(params).encode("utf-8"), "text/xml")
                    return
                headers = dict((k, v) for k, v in self.headers.items() if k.lower() not in ("host", "content-length"))
                resp = requests.post(moto.endpoint_url + self.path, data=body, headers=headers, timeout=30)
                self._reply(resp.status_code, resp.content, resp.headers.get("Content-Type", "text/xml"))

            def do_GET(self):  # noqa: N802
                resp = requests.get(moto.endpoint_url + self.path, timeout=30)
                self._reply(resp.status_code, resp.content, resp.headers.get("Content-Type", "text/xml"))

            def _reply(self, code, payload, ctype):
                self.send_response(code)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def endpoint_url(self):
        return "http://127.0.0.1:%d" % self.server.server_address[1]

    def actions(self):
        return [call[0] for call in self.calls]

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()

    @staticmethod
    def error_xml(authorization, code, message):
        """The error body AWS sends for a query-protocol call: EC2's shape or the other services' (from the
        service named in the request's SigV4 credential scope)."""
        service = re.search(r"Credential=[^/]+/[^/]+/[^/]+/([^/]+)/", authorization)
        rid = uuid.uuid4()
        if service and service.group(1) == "ec2":
            body = ("<Response><Errors><Error><Code>%s</Code><Message>%s</Message></Error></Errors>"
                    "<RequestID>%s</RequestID></Response>" % (code, message, rid))
        else:
            body = ('<ErrorResponse xmlns="%s"><Error><Type>Sender</Type><Code>%s</Code><Message>%s</Message></Error>'
                    "<RequestId>%s</RequestId></ErrorResponse>" % (NS, code, message, rid))
        return body.encode("utf-8")

    # -- the three actions moto lacks ------------------------------------------------------------------
    def _xml(self, refresh):
        return REFRESH_XML.format(**refresh)

    def _envelope(self, action, inner):
        return ('<{a}Response xmlns="{ns}"><{a}Result>{inner}</{a}Result>'
                '<ResponseMetadata><RequestId>{rid}</RequestId></ResponseMetadata></{a}Response>').format(
                    a=action, ns=NS, inner=inner, rid=uuid.uuid4())

    def _StartInstanceRefresh(self, params):  # noqa: N802
        rid = str(uuid.uuid4())
        self.refreshes[rid] = {
            "id": rid, "asg": params["AutoScalingGroupName"], "status": "Pending", "reason": "", "percent": 0,
            "todo": 0, "min_healthy": params.get("Preferences.MinHealthyPercentage", "90"),
            "warmup": params.get("Preferences.InstanceWarmup", "300"),
            "skip": params.get("Preferences.SkipMatching", "false"), "describes": 0}
        return self._envelope("StartInstanceRefresh", "<InstanceRefreshId>%s</InstanceRefreshId>" % rid)

    def _DescribeInstanceRefreshes(self, params):  # noqa: N802
        asg = params.get("AutoScalingGroupName")
        wanted = [v for k, v in params.items() if k.startswith("InstanceRefreshIds.member.")]
        items = []
        for rid, ref in self.refreshes.items():
            if ref["asg"] != asg or (wanted and rid not in wanted):
                continue
            if ref["status"] not in ("Cancelled", "Cancelling") and wanted:
                step = min(ref["describes"], len(self.script) - 1)
                ref["describes"] += 1
                status = self.script[step]
                if status == "Successful" and ref["status"] != "Successful":
                    self._refresh_for_real(asg)
                ref["status"] = status
                ref["percent"] = 100 if status == "Successful" else 50
                ref["reason"] = self.reason if status == "Failed" else ""
            items.append(self._xml(ref))
        return self._envelope("DescribeInstanceRefreshes", "<InstanceRefreshes>%s</InstanceRefreshes>" % "".join(
            "<member>%s</member>" % item[len("<InstanceRefresh>"):-len("</InstanceRefresh>")] for item in items))

    def _CancelInstanceRefresh(self, params):  # noqa: N802
        asg = params["AutoScalingGroupName"]
        found = [rid for rid, ref in self.refreshes.items() if ref["asg"] == asg and ref["status"] not in ("Successful", "Failed", "Cancelled")]
        for rid in found:
            self.refreshes[rid]["status"] = "Cancelled"
        return self._envelope("CancelInstanceRefresh", "<InstanceRefreshId>%s</InstanceRefreshId>" % (found[0] if found else ""))

    def _refresh_for_real(self, asg):
        autoscaling = self.moto.client("autoscaling")
        group = autoscaling.describe_auto_scaling_groups(AutoScalingGroupNames=[asg])["AutoScalingGroups"][0]
        for inst in group["Instances"]:
            autoscaling.terminate_instance_in_auto_scaling_group(InstanceId=inst["InstanceId"], ShouldDecrementDesiredCapacity=False)
