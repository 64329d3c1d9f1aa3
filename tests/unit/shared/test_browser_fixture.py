"""The browser the page tests use really renders and submits a form without JavaScript."""

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class FormPage(BaseHTTPRequestHandler):
    def do_GET(self):
        body = b'<html><body><form method="post"><label for="r">Rating</label><input id="r" name="rating"><button>Send</button></form></body></html>'
        self._answer(body)

    def do_POST(self):
        length = int(self.headers["Content-Length"])
        self._answer(b"<html><body><p>got " + self.rfile.read(length) + b"</p></body></html>")

    def _answer(self, body):
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def test_the_browser_fills_a_labelled_field_and_submits_the_form(browser):
    server = ThreadingHTTPServer(("127.0.0.1", 0), FormPage)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        page = browser.new_page(java_script_enabled=False)
        page.goto(f"http://127.0.0.1:{server.server_port}/")
        page.get_by_label("Rating").fill("5")
        page.get_by_role("button", name="Send").click()
        assert "got rating=5" in page.content()
        page.close()
    finally:
        server.shutdown()
