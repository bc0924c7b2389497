#!/usr/bin/env python3
"""The README's screenshots of the web UI, taken in headless chromium.

Usage: scripts/screenshots.py BASE_URL USER PASSWORD OUT_DIR
Drives /usr/bin/chromedriver over WebDriver (stdlib only): logs in, then
saves the review queue, the review desk of the first document in it, and
the dashboard of the first workflow as PNG files in OUT_DIR.
scripts/screenshots.sh runs the demo and calls this on it.
"""
import base64
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Driver:
    def __init__(self):
        self.port = free_port()
        self.process = subprocess.Popen(["/usr/bin/chromedriver", f"--port={self.port}"],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(100):
            try:
                self.call("GET", "/status")
                break
            except OSError:
                time.sleep(0.1)
        args = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--window-size=1400,1000"]
        caps = {"capabilities": {"alwaysMatch": {"goog:chromeOptions": {"args": args}}}}
        self.session = self.call("POST", "/session", caps)["sessionId"]

    def call(self, method, path, body=None):
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(f"http://127.0.0.1:{self.port}{path}", data=data, method=method,
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=60) as answer:
            return json.load(answer)["value"] if method != "GET" or path != "/status" else None

    def session_call(self, method, path, body=None):
        return self.call(method, f"/session/{self.session}{path}", body)

    def go(self, url):
        self.session_call("POST", "/url", {"url": url})

    def find(self, css):
        found = self.session_call("POST", "/element", {"using": "css selector", "value": css})
        return next(iter(found.values()))

    def type(self, css, text):
        self.session_call("POST", f"/element/{self.find(css)}/value", {"text": text})

    def click(self, css):
        self.session_call("POST", f"/element/{self.find(css)}/click", {})

    def shot(self, path):
        with open(path, "wb") as out:
            out.write(base64.b64decode(self.session_call("GET", "/screenshot")))
        print(path)

    def quit(self):
        try:
            self.session_call("DELETE", "")
        finally:
            self.process.terminate()


def main():
    base, user, password, out = sys.argv[1:5]
    os.makedirs(out, exist_ok=True)
    driver = Driver()
    try:
        driver.go(f"{base}/login")
        driver.type("#name", user)
        driver.type("#password", password)
        driver.click("#login")
        time.sleep(0.5)
        driver.go(f"{base}/review")
        driver.shot(os.path.join(out, "queue.png"))
        driver.click("#queue tbody tr a")
        time.sleep(1.5)
        driver.shot(os.path.join(out, "desk.png"))
        driver.go(f"{base}/dashboard")
        driver.click(".card a[href^='/dashboard/']")
        time.sleep(0.5)
        driver.shot(os.path.join(out, "dashboard.png"))
    finally:
        driver.quit()


if __name__ == "__main__":
    main()
