# -*- coding: utf-8 -*-
"""``moto_server`` plus the one AWS action the roles call that moto does not implement.

``amazon.aws.autoscaling_group`` calls DisableMetricsCollection after every update of a group that does not collect
metrics (ami_rotation points version-pinned ASGs at a new launch template version, and blue/green holds ASGs on
``$Latest`` to the version they launch from). moto answers it with HTTP 500, so :class:`tests.harness.moto.MotoServer`
runs this module instead of the ``moto_server`` script: the action removes the named metrics (all when none are
named) from the group, as AWS does, and everything else is moto's own server.

Run: ``python -m tests.harness.moto_server -H 127.0.0.1 -p <port>`` (the arguments of ``moto_server``).
"""

import sys

from moto.autoscaling.responses import AutoScalingResponse
from moto.core.responses import EmptyResult
from moto.server import main


def disable_metrics_collection(self):
    """DisableMetricsCollection: stop collecting ``Metrics`` (every metric when the list is empty)."""
    group = self.autoscaling_backend.describe_auto_scaling_groups([self._get_param("AutoScalingGroupName")])[0]
    named = self._get_param("Metrics") or []
    group.metrics = [metric for metric in group.metrics if named and metric not in named]
    return EmptyResult()


AutoScalingResponse.disable_metrics_collection = disable_metrics_collection

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
