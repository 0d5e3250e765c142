# -*- coding: utf-8 -*-
# Copyright: (c) 2026, flinkops.fleet developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The patch report: one JSON part per cluster, merged into report.json and a one-page report.html.

Private to the collection (underscore module). Every cluster writes its own part and regenerates the
merged files under a lock, so the report is complete whichever cluster finishes last, and exists even
when a failed wave stops the play.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import fcntl
import html
import json
import os
import tempfile


def _atomic_write(path, text):
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path), prefix=".report-")
    with os.fdopen(fd, "w") as handle:
        handle.write(text)
    os.replace(tmp, path)


def write_report(report_dir, run_id, cluster, result):
    """Write ``cluster``'s part and regenerate report.json / report.html; returns their paths."""
    run_dir = os.path.join(report_dir, run_id)
    parts = os.path.join(run_dir, "clusters")
    os.makedirs(parts, exist_ok=True)
    _atomic_write(os.path.join(parts, "%s.json" % cluster), json.dumps(result, indent=2, sort_keys=True, default=str))
    with open(os.path.join(run_dir, ".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        clusters = {}
        for name in sorted(os.listdir(parts)):
            if name.endswith(".json") and not name.startswith("."):
                with open(os.path.join(parts, name)) as handle:
                    clusters[name[:-5]] = json.load(handle)
        report = dict(run_id=run_id, clusters=clusters, summary=summarize(clusters))
        json_path = os.path.join(run_dir, "report.json")
        html_path = os.path.join(run_dir, "report.html")
        _atomic_write(json_path, json.dumps(report, indent=2, sort_keys=True, default=str))
        _atomic_write(html_path, render_html(report))
    return dict(json=json_path, html=html_path, dir=run_dir, summary=report["summary"])


def summarize(clusters):
    counts = {}
    downtimes = []
    for result in clusters.values():
        counts[result.get("status", "unknown")] = counts.get(result.get("status", "unknown"), 0) + 1
        for job in result.get("jobs") or []:
            if job.get("downtime") is not None:
                downtimes.append(job["downtime"])
    return dict(clusters=len(clusters), by_status=counts, jobs_moved=len(downtimes),
                max_downtime=max(downtimes) if downtimes else None,
                mean_downtime=round(sum(downtimes) / len(downtimes), 3) if downtimes else None)


_COLORS = dict(patched="#2e7d32", skipped="#607d8b", planned="#1565c0", rolled_back="#ef6c00", failed="#c62828",
               refused="#c62828", cleanup_incomplete="#f9a825")


def _esc(value):
    return html.escape("" if value is None else str(value))


def _timeline(jobs):
    """An SVG bar per job: fence -> pinned -> running -> first checkpoint (seconds from the fence)."""
    rows = [j for j in jobs if j.get("downtime") is not None]
    if not rows:
        return ""
    scale = max(j["downtime"] for j in rows) or 1.0
    width, row_h = 560.0, 26
    out = ['<svg width="%d" height="%d" role="img" aria-label="downtime per job">' % (width + 200, row_h * len(rows) + 24)]
    for i, job in enumerate(rows):
        y = 10 + i * row_h
        marks = job.get("marks") or {}
        out.append('<text x="0" y="%d" font-size="12">%s</text>' % (y + 13, _esc(job.get("job"))))
        x0 = 150
        out.append('<rect x="%d" y="%d" width="%.1f" height="16" fill="#ffcdd2"/>' % (x0, y, width * job["downtime"] / scale))
        for label, color in (("pinned", "#c62828"), ("running", "#1565c0"), ("checkpoint", "#2e7d32")):
            at = marks.get(label)
            if at is not None:
                x = x0 + width * at / scale
                out.append('<line x1="%.1f" x2="%.1f" y1="%d" y2="%d" stroke="%s" stroke-width="2"><title>%s %.3fs</title></line>'
                           % (x, x, y - 2, y + 18, color, label, at))
        label_x = x0 + width * job["downtime"] / scale + 6
        out.append('<text x="%.1f" y="%d" font-size="12">%.2fs</text>' % (label_x, y + 13, job["downtime"]))
    out.append("</svg>")
    return "".join(out)


def render_html(report):
    summary = report["summary"]
    parts = ["<!doctype html><html><head><meta charset='utf-8'><title>Flink fleet patch %s</title>" % _esc(report["run_id"]),
             "<style>body{font-family:sans-serif;margin:24px}table{border-collapse:collapse;margin:8px 0 20px}"
             "td,th{border:1px solid #ccc;padding:4px 8px;font-size:13px;text-align:left}"
             ".badge{color:#fff;padding:2px 8px;border-radius:4px}</style></head><body>",
             "<h1>Flink fleet patch <small>%s</small></h1>" % _esc(report["run_id"]),
             "<p>%d clusters: %s. Jobs moved: %d; downtime max %s s, mean %s s (fence to first checkpoint).</p>" % (
                 summary["clusters"], ", ".join("%s %d" % (k, v) for k, v in sorted(summary["by_status"].items())),
                 summary["jobs_moved"], _esc(summary["max_downtime"]), _esc(summary["mean_downtime"]))]
    for name, result in sorted(report["clusters"].items()):
        status = result.get("status", "unknown")
        parts.append("<h2>%s <span class='badge' style='background:%s'>%s</span></h2>" % (
            _esc(name), _COLORS.get(status, "#455a64"), _esc(status)))
        parts.append("<p>Strategy %s; AMI %s &rarr; %s.%s</p>" % (
            _esc(result.get("strategy")), _esc(", ".join(result.get("amis_before") or []) or "?"), _esc(result.get("target_ami")),
            " <b>%s</b>" % _esc(result.get("error")) if result.get("error") else ""))
        jobs = result.get("jobs") or []
        if jobs:
            parts.append("<table><tr><th>job</th><th>old job</th><th>pin</th><th>new job</th><th>downtime s</th>"
                         "<th>verified</th><th>rollback</th></tr>")
            for job in jobs:
                parts.append("<tr><td>%s</td><td>%s</td><td>%s<br><small>%s</small></td><td>%s</td><td>%s</td><td>%s</td><td>%s</td></tr>" % (
                    _esc(job.get("job")), _esc(job.get("old_job_id")), _esc(job.get("pin_id")), _esc(job.get("pin_path")),
                    _esc(job.get("new_job_id")), _esc(job.get("downtime")), _esc(job.get("verified")), _esc(job.get("rollback"))))
            parts.append("</table>")
            parts.append(_timeline(jobs))
    parts.append("</body></html>")
    return "\n".join(parts)
