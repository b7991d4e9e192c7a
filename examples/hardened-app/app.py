"""A tiny demo service (part of hullscan's deliberately insecure example)."""

from http.server import BaseHTTPRequestHandler, HTTPServer


class Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"hello\n")


if __name__ == "__main__":
    # hullscan: ignore[B104] containers listen on all interfaces; the port mapping limits exposure
    HTTPServer(("0.0.0.0", 8080), Handler).serve_forever()
