"""A WebSocket subscriber on the Python websockets library, for the integration tests.

Unlike `python3 -m websockets`, it can send request headers (credentials) and prints only what a test needs:

    ws_subscribe.py URL [-H 'Name: value']... [-n COUNT]

stdout: each text message received, one per line (the bridge sends compact JSON)
stderr: "connected", "closed: <code> <reason>", or why the connection failed
exit:   0 after COUNT messages or a normal close (1000, 1001); 1 upgrade refused ("refused: HTTP <status>");
        2 no connection; 3 closed with another code

Works with websockets 10.x (Debian 12's python3-websockets, asyncio client) and 11+ (sync client).
"""
import argparse
import sys


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("url")
    parser.add_argument("-H", "--header", action="append", default=[], help="request header 'Name: value'")
    parser.add_argument("-n", "--count", type=int, default=0, help="exit after this many messages (0: never)")
    args = parser.parse_args()
    headers = []
    for header in args.header:
        name, sep, value = header.partition(":")
        if not sep:
            parser.error("a header is 'Name: value', not " + repr(header))
        headers.append((name.strip(), value.strip()))
    return args, headers


def err(text):
    print(text, file=sys.stderr, flush=True)


def refused(exc):
    """The HTTP status and headers of a refused upgrade, or None for any other failure."""
    response = getattr(exc, "response", None)  # websockets 11+: InvalidStatus
    if response is not None and hasattr(response, "status_code"):
        return response.status_code, response.headers
    if hasattr(exc, "status_code"):  # websockets 10: InvalidStatusCode
        return exc.status_code, getattr(exc, "headers", {})
    return None


def report_failure(url, exc):
    status = refused(exc)
    if status is not None:
        code, headers = status
        challenge = headers.get("WWW-Authenticate") if headers is not None else None
        err("refused: HTTP %d" % code + ("" if challenge is None else " (WWW-Authenticate: %s)" % challenge))
        return 1
    err("cannot connect to %s: %s" % (url, exc))
    return 2


def on_message(message, received, count):
    if isinstance(message, str):
        print(message, flush=True)
    else:
        err("binary message of %d bytes" % len(message))
    return count and received >= count


def closed(code, reason):
    err("closed: %s %s" % (code, reason or ""))
    return 0 if code in (1000, 1001) else 3


def run_sync(args, headers, connect, ConnectionClosed):
    try:
        websocket = connect(args.url, additional_headers=headers, open_timeout=10)
    except Exception as exc:  # noqa: BLE001 - report any failure with its message
        return report_failure(args.url, exc)
    err("connected")
    received = 0
    with websocket:
        try:
            for message in websocket:
                received += 1
                if on_message(message, received, args.count):
                    return 0
        except ConnectionClosed:
            pass
        return closed(websocket.close_code, websocket.close_reason)


def run_asyncio(args, headers):
    import asyncio
    import websockets

    async def main():
        try:
            websocket = await websockets.connect(args.url, extra_headers=headers, open_timeout=10)
        except Exception as exc:  # noqa: BLE001
            return report_failure(args.url, exc)
        err("connected")
        received = 0
        try:
            async for message in websocket:
                received += 1
                if on_message(message, received, args.count):
                    return 0
        finally:
            await websocket.close()
        return closed(websocket.close_code, websocket.close_reason)

    return asyncio.run(main())


def main():
    args, headers = parse_args()
    try:
        from websockets.sync.client import connect
        from websockets.exceptions import ConnectionClosed
    except ImportError:
        return run_asyncio(args, headers)
    return run_sync(args, headers, connect, ConnectionClosed)


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit(130)
