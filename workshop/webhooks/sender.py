"""One HTTP POST of a webhook, with urllib3: to the checked address (never a second DNS
lookup), redirects not followed, a timeout, the first 1 KB of the answer kept."""

from __future__ import annotations

import time
from dataclasses import dataclass

import urllib3

from workshop.webhooks.addresses import Target

ANSWER_KEPT = 1024  # bytes of the answer kept with an attempt
USER_AGENT = "Weldshop-Webhooks/1"
CA_CERTS: str | None = None  # a CA bundle to trust instead of the system's (tests)


@dataclass
class Answer:
    status: int | None  # None: no HTTP answer (connection refused, timeout, TLS …)
    body: str
    duration_ms: int
    error: str = ""
    retry_after: str | None = None  # the Retry-After header as given


def post(target: Target, body: bytes, headers: dict[str, str], *, timeout: float) -> Answer:
    started = time.monotonic()

    def elapsed() -> int:
        return int((time.monotonic() - started) * 1000)

    host_header = target.host if ":" not in target.host else f"[{target.host}]"
    if target.port != (443 if target.scheme == "https" else 80):
        host_header = f"{host_header}:{target.port}"
    all_headers = {
        **headers,
        "Host": host_header,
        "User-Agent": USER_AGENT,
        "Content-Type": "application/json",
        "Content-Length": str(len(body)),
    }
    limits = urllib3.Timeout(connect=timeout, read=timeout, total=timeout)
    if target.scheme == "https":
        pool = urllib3.HTTPSConnectionPool(
            target.address,
            port=target.port,
            timeout=limits,
            retries=False,
            maxsize=1,
            server_hostname=target.host,
            assert_hostname=target.host,
            cert_reqs="CERT_REQUIRED",
            ca_certs=CA_CERTS,
        )
    else:
        pool = urllib3.HTTPConnectionPool(
            target.address, port=target.port, timeout=limits, retries=False, maxsize=1
        )
    try:
        response = pool.urlopen(
            "POST",
            target.path,
            body=body,
            headers=all_headers,
            redirect=False,
            retries=False,
            preload_content=False,
            assert_same_host=False,
        )
        try:
            head = response.read(ANSWER_KEPT, decode_content=True) or b""
        except Exception as exc:  # the status came, the body broke off: still an answer
            head = f"(the answer could not be read: {type(exc).__name__})".encode()
        finally:
            response.release_conn()
        return Answer(
            status=response.status,
            body=head[:ANSWER_KEPT].decode("utf-8", errors="replace"),
            duration_ms=elapsed(),
            retry_after=response.headers.get("Retry-After"),
        )
    except urllib3.exceptions.TimeoutError:
        return Answer(None, "", elapsed(), error=f"Timed out after {timeout:g} s.")
    except urllib3.exceptions.HTTPError as exc:
        reason = getattr(exc, "reason", None) or exc
        return Answer(None, "", elapsed(), error=f"{type(reason).__name__}: {str(reason)[:300]}")
    except Exception as exc:  # OSError, and whatever else a strange target raises: a failed attempt
        return Answer(None, "", elapsed(), error=f"{type(exc).__name__}: {str(exc)[:300]}")
    finally:
        pool.close()
