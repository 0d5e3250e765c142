# -*- coding: utf-8 -*-
# Copyright: (c) 2026, flinkops.fleet developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):
    # Connection options shared by every flinkops.fleet module.
    DOCUMENTATION = r"""
options:
  url:
    description:
      - Base URL of the Flink REST API of a JobManager or a HistoryServer, for example C(http://10.0.1.5:8081).
      - A trailing C(/v1) is accepted. Credentials in the URL (C(https://user:pass@host)) are refused, since the URL
        appears in error messages; use O(username)/O(password) or O(token).
      - If not set, the value of the E(FLINK_REST_URL) environment variable is used; one of them is required.
    type: str
    aliases: [rest_url]
  token:
    description:
      - 'Bearer token sent as C(Authorization: Bearer <token>), for REST endpoints behind an authenticating proxy.'
      - If not set, the value of the E(FLINK_API_TOKEN) environment variable is used.
      - Mutually exclusive in practice with O(username); the token wins when both are set.
    type: str
    aliases: [api_token]
  username:
    description:
      - User name for HTTP basic authentication.
      - If not set, the value of the E(FLINK_USERNAME) environment variable is used.
    type: str
  password:
    description:
      - Password for HTTP basic authentication.
      - If not set, the value of the E(FLINK_PASSWORD) environment variable is used.
    type: str
  headers:
    description:
      - Extra HTTP headers sent with every request.
    type: dict
  validate_certs:
    description:
      - Whether to validate the server's TLS certificate for C(https) URLs.
      - If not set, the value of the E(FLINK_VALIDATE_CERTS) environment variable is used.
    type: bool
    default: true
  ca_path:
    description:
      - PEM file (or directory of hashed certificates) with the CA certificates to validate the server against.
      - Without it the system trust store is used.
      - If not set, the value of the E(FLINK_CA_PATH) environment variable is used.
    type: path
  client_cert:
    description:
      - PEM client certificate for mutual TLS.
      - If not set, the value of the E(FLINK_CLIENT_CERT) environment variable is used.
    type: path
  client_key:
    description:
      - PEM private key of O(client_cert), when it is not in the same file.
      - If not set, the value of the E(FLINK_CLIENT_KEY) environment variable is used.
    type: path
  request_timeout:
    description:
      - Seconds to wait for one HTTP request (connect and read).
      - This is not the time an operation may take; modules that wait have their own C(timeout) option.
      - Must be greater than 0.
      - If not set, the value of the E(FLINK_REQUEST_TIMEOUT) environment variable is used.
    type: float
    default: 10
  retries:
    description:
      - How many times a read (or an idempotent write) is retried on connection errors and HTTP 502, 503 or 504,
        with exponential backoff starting at 0.2 seconds.
      - Operations that create something are never retried blindly.
      - Must be 0 or more.
    type: int
    default: 3
notes:
  - The REST client uses the Python standard library only. It keeps one connection per endpoint alive while a module
    polls, and honours the proxy environment variables E(https_proxy), E(http_proxy), E(all_proxy) and E(no_proxy)
    (host names, domain suffixes, IP addresses and networks, V(*)) like curl; https goes through a CONNECT tunnel.
  - Every module of this collection that talks to Flink belongs to the action group C(flinkops.fleet.flink), so
    C(module_defaults) with C(group/flinkops.fleet.flink) sets the connection options once for a play.
  - Flink serves C(/jobs/<id>) and C(/jobs/<id>/checkpoints) from caches (C(web.refresh-interval) and
    C(rest.cache.checkpoint-statistics.timeout), 3 seconds by default); the modules account for it and never report
    state read through a cache as final.
"""
