# -*- coding: utf-8 -*-
"""Integration-test harness for flinkops.fleet.

Test-only helpers: a Flink distribution built from the ``apache-flink`` wheel, throw-away Flink
clusters on 127.0.0.1, an exactly-once test job, a moto server and Ansible runners.  Nothing here is
shipped with the collection.
"""
