"""A local stand-in for the Hugging Face Hub: enough of its HTTP API for `model_info`, `dataset_info`
and `hf_hub_download`.

It serves `GET /api/models/{repo}/revision/{rev}` and `GET /api/datasets/{repo}/revision/{rev}`
(with LFS metadata), and `HEAD`/`GET /{repo}/resolve/{rev}/{file}` and
`/datasets/{repo}/resolve/{rev}/{file}` with the headers huggingface_hub reads (`X-Repo-Commit`,
`ETag`, `X-Linked-Etag`, `X-Linked-Size`). A gated repo answers 401 with the GatedRepo error code.
Tests point `HF_ENDPOINT` at it.
"""

from __future__ import annotations

import hashlib
import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import unquote, urlparse


@dataclass
class Repo:
    files: dict[str, bytes]
    commit: str = "a" * 40
    branches: dict[str, str] = field(default_factory=dict)
    advertised_sha256: dict[str, str] = field(default_factory=dict)  # to simulate a corrupt download
    gated: bool = False  # every request answers 401 GatedRepo, whatever token is sent
    small_files: set[str] = field(default_factory=set)  # stored in git, not LFS: the Hub gives their blob id

    def resolve(self, rev: str) -> str | None:
        if rev == self.commit or rev == "main":
            return self.commit
        if rev in self.branches.values():
            return rev
        return self.branches.get(rev)

    def sha256(self, name: str) -> str:
        return self.advertised_sha256.get(name) or hashlib.sha256(self.files[name]).hexdigest()

    def blob_id(self, name: str) -> str:
        data = self.files[name]
        return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


class HubStandIn:
    def __init__(self, repos: dict[str, Repo], datasets: dict[str, Repo] | None = None):
        self.repos = repos
        self.datasets = datasets if datasets is not None else {}
        self.requests: list[tuple[str, str]] = []
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self) -> "HubStandIn":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()

    def count(self, method: str, fragment: str) -> int:
        return sum(1 for m, p in self.requests if m == method and fragment in p)

    def _handler(self):
        hub = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # keep test output quiet
                pass

            def do_GET(self):
                self._serve(body=True)

            def do_HEAD(self):
                self._serve(body=False)

            def _serve(self, body: bool):
                path = unquote(urlparse(self.path).path)
                hub.requests.append((self.command, path))
                if path.startswith("/api/models/"):
                    return self._info(path[len("/api/models/"):], hub.repos)
                if path.startswith("/api/datasets/"):
                    return self._info(path[len("/api/datasets/"):], hub.datasets)
                if path.startswith("/datasets/") and "/resolve/" in path:
                    return self._file(path[len("/datasets/"):], body, hub.datasets)
                if "/resolve/" in path:
                    return self._file(path.lstrip("/"), body, hub.repos)
                self._error(404, "EntryNotFound")

            def _info(self, rest: str, repos: dict[str, Repo]):
                repo_id, _, rev = rest.partition("/revision/")
                repo = repos.get(repo_id)
                if repo is None:
                    return self._error(404, "RepoNotFound")
                if repo.gated:
                    return self._error(401, "GatedRepo")
                commit = repo.resolve(rev or "main")
                if commit is None:
                    return self._error(404, "RevisionNotFound")
                siblings = [{"rfilename": name, "size": len(data), "blobId": repo.blob_id(name)}
                            | ({} if name in repo.small_files else
                               {"lfs": {"sha256": repo.sha256(name), "size": len(data), "pointerSize": 134}})
                            for name, data in repo.files.items()]
                self._json({"id": repo_id, "modelId": repo_id, "sha": commit, "siblings": siblings})

            def _file(self, rest: str, body: bool, repos: dict[str, Repo]):
                repo_id, _, tail = rest.partition("/resolve/")
                repo = repos.get(repo_id)
                rev, _, name = tail.partition("/")
                if repo is None:
                    return self._error(404, "RepoNotFound")
                if repo.gated:
                    return self._error(401, "GatedRepo")
                commit = repo.resolve(rev)
                if commit is None:
                    return self._error(404, "RevisionNotFound")
                if name not in repo.files:
                    return self._error(404, "EntryNotFound")
                data = repo.files[name]
                self.send_response(200)
                self.send_header("X-Repo-Commit", commit)
                self.send_header("ETag", f'"{repo.sha256(name)}"')
                self.send_header("X-Linked-Etag", f'"{repo.sha256(name)}"')
                self.send_header("X-Linked-Size", str(len(data)))
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                if body:
                    self.wfile.write(data)

            def _json(self, data: dict):
                raw = json.dumps(data).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            def _error(self, status: int, code: str):
                raw = json.dumps({"error": code}).encode()
                self.send_response(status)
                self.send_header("X-Error-Code", code)
                self.send_header("X-Error-Message", code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(raw)

        return Handler
