"""Import from the clinic's website (service/articles/importer.py, fetch.py) against a real HTTP server on 127.0.0.1."""
from __future__ import annotations

import gzip
import json
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from service.articles.fetch import address_refusal
from service.articles.importer import (
    FetchedPage,
    ImportLimits,
    ImportPlan,
    ImportRefused,
    discover,
    fetch_page,
    import_pages,
    page_filename,
)
from service.settings import Settings

SITEMAP_NS = 'xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"'


def urlset(*locs: str) -> bytes:
    body = "".join(f"<url><loc>{loc}</loc></url>" for loc in locs)
    return f'<?xml version="1.0" encoding="UTF-8"?><urlset {SITEMAP_NS}>{body}</urlset>'.encode()


def sitemap_index(*locs: str) -> bytes:
    body = "".join(f"<sitemap><loc>{loc}</loc></sitemap>" for loc in locs)
    return f'<?xml version="1.0" encoding="UTF-8"?><sitemapindex {SITEMAP_NS}>{body}</sitemapindex>'.encode()


def html(title: str) -> bytes:
    return f"<!DOCTYPE html><html><head><title>{title}</title></head><body><h1>{title}</h1></body></html>".encode()


def routes(base: str) -> dict[str, tuple[int, dict[str, str], bytes]]:
    """Every path the test site serves: (status, headers, body); `base` is http://127.0.0.1:<port>."""
    page = {"Content-Type": "text/html; charset=utf-8"}
    xml = {"Content-Type": "application/xml"}
    found: dict[str, tuple[int, dict[str, str], bytes]] = {
        f"/page/{name}": (200, page, html(name)) for name in ("a", "b", "c", "rss-only", "atom-only", "aftercare")
    }
    found.update({
        "/blog/aftercare/": (200, page, html("Aftercare")),
        "/sitemap_index.xml": (200, xml, sitemap_index(f"{base}/sitemap-a.xml", f"{base}/sitemap-b.xml.gz",
                                                       "http://elsewhere.example/sitemap.xml",
                                                       f"{base}/sitemap_index.xml")),
        "/sitemap-a.xml": (200, {"Content-Type": "text/xml"},
                           urlset(f"{base}/page/a", f"{base}/page/b", f"{base}/page/a", f"{base}/page/a#top",
                                  "http://elsewhere.example/page/x", "ftp://127.0.0.1/file")),
        "/sitemap-b.xml.gz": (200, {"Content-Type": "application/x-gzip"},
                              gzip.compress(urlset(f"{base}/page/c", f"{base}/page/b"))),
        "/many.xml": (200, xml, urlset(*(f"{base}/page/{n}" for n in range(30)))),
        "/mixed.xml": (200, xml, urlset(f"{base}/page/a", f"{base}/missing", f"{base}/file.pdf",
                                        f"{base}/redirect-local", f"{base}/redirect-other")),
        "/rss.xml": (200, {"Content-Type": "application/rss+xml"}, (
            '<?xml version="1.0"?><rss version="2.0"><channel><title>News</title><link>' + base + '/</link>'
            f'<item><title>A</title><link>{base}/page/a</link></item>'
            f'<item><title>RSS only</title><link>{base}/page/rss-only</link></item>'
            f'<item><title>A again</title><link>{base}/page/a</link></item>'
            '<item><title>Elsewhere</title><link>https://elsewhere.example/post</link></item>'
            '</channel></rss>').encode()),
        "/atom.xml": (200, {"Content-Type": "application/octet-stream"}, (  # generic type: the body decides
            '<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom"><title>Blog</title>'
            '<id>urn:x</id><updated>2024-01-01T00:00:00Z</updated>'
            '<entry><title>Atom only</title><id>urn:1</id><updated>2024-01-01T00:00:00Z</updated>'
            '<link rel="alternate" href="/page/atom-only"/></entry>'
            '<entry><title>B</title><id>urn:2</id><updated>2024-01-01T00:00:00Z</updated>'
            f'<link rel="alternate" href="{base}/page/b"/></entry></feed>').encode()),
        "/xxe.xml": (200, xml, (
            '<?xml version="1.0"?><!DOCTYPE urlset [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
            f'<urlset {SITEMAP_NS}><url><loc>{base}/page/&xxe;</loc></url></urlset>').encode()),
        "/bomb.xml": (200, xml, (
            '<?xml version="1.0"?><!DOCTYPE urlset [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;">]>'
            f'<urlset {SITEMAP_NS}><url><loc>{base}/page/&b;</loc></url></urlset>').encode()),
        "/generic-html": (200, {"Content-Type": "application/octet-stream"}, html("Generic")),
        "/file.pdf": (200, {"Content-Type": "application/pdf"}, b"%PDF-1.4 not a page"),
        "/data.json": (200, {"Content-Type": "application/json"}, b"{}"),
        "/redirect-local": (302, {"Location": "/page/a"}, b""),
        "/redirect-other": (302, {"Location": "http://elsewhere.example/page/a"}, b""),
        "/redirect-localhost": (301, {"Location": base.replace("127.0.0.1", "localhost") + "/page/a"}, b""),
        "/redirect-loop": (302, {"Location": "/redirect-loop"}, b""),
        "/redirect-broken": (302, {"Location": "http://[broken"}, b""),
        "/odd.xml": (200, xml, urlset("http://[broken/page", "page/c", f" {base}/page/b\n")),
        "/xhtml": (200, {"Content-Type": "application/octet-stream"},
                   b'<?xml version="1.0"?>\n<!-- saved page -->\n<html xmlns="http://www.w3.org/1999/xhtml"></html>'),
        "/declared-huge": (200, {"Content-Type": "text/html", "Content-Length": "9000000"}, b""),
    })
    return found


class Site(BaseHTTPRequestHandler):
    """The clinic's test website; a few paths misbehave on purpose (huge, slow, echo)."""

    protocol_version = "HTTP/1.0"  # no Content-Length needed: the body ends when the connection closes

    def log_message(self, format: str, *args: object) -> None:  # quiet test output
        pass

    def do_GET(self) -> None:
        base = f"http://127.0.0.1:{self.server.server_address[1]}"
        path = self.path
        try:
            if path == "/echo":
                self.reply(200, {"Content-Type": "text/html"}, json.dumps(dict(self.headers.items())).encode())
            elif path == "/huge":  # 1 MB with no Content-Length: only counting while streaming can stop it
                self.reply(200, {"Content-Type": "text/html"}, b"")
                for _ in range(64):
                    self.wfile.write(b"<p>" + b"x" * 16_000 + b"</p>")
            elif path == "/slow":  # a byte every 0.1 s for 10 s: only a total time limit stops it
                self.reply(200, {"Content-Type": "text/html"}, b"<html>")
                for _ in range(100):
                    self.wfile.write(b"x")
                    self.wfile.flush()
                    time.sleep(0.1)
            elif path in (table := routes(base)):
                self.reply(*table[path])
            else:
                self.reply(404, {"Content-Type": "text/html"}, b"<h1>Not found</h1>")
        except (BrokenPipeError, ConnectionResetError):
            pass  # the importer hung up, as it should

    def reply(self, status: int, headers: dict[str, str], body: bytes) -> None:
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)
        self.wfile.flush()


@pytest.fixture(scope="module")
def site() -> Iterator[str]:
    """http://127.0.0.1:<port> of the test website, served from a thread."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), Site)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def limits(site: str) -> ImportLimits:
    """The test site listed exactly (which is what lets 127.0.0.1 through), small limits."""
    return ImportLimits(allowed_hosts=(site.removeprefix("http://"),), max_bytes=200_000, timeout_seconds=3,
                        max_pages=50)


def refusal(call: Callable[[], object]) -> str:
    with pytest.raises(ImportRefused) as caught:
        call()
    return caught.value.reason


# --- what an import takes ---------------------------------------------------------------------------------


def test_a_page_is_fetched_with_a_file_name_from_its_path(site: str, limits: ImportLimits) -> None:
    page = fetch_page(f"{site}/blog/aftercare/", limits)
    assert page == FetchedPage(f"{site}/blog/aftercare/", "blog-aftercare.html", html("Aftercare"), "text/html")
    plan = discover(f"{site}/blog/aftercare/", limits)
    assert plan == ImportPlan(source=f"{site}/blog/aftercare/", kind="page", urls=[f"{site}/blog/aftercare/"],
                              refused=[])


def test_file_names_are_safe_slugs() -> None:
    assert page_filename("https://clinic.test/") == "index.html"
    assert page_filename("https://clinic.test/blog/Aftercare.HTML") == "blog-aftercare.html"
    assert page_filename("https://clinic.test/fees.php?id=5&lang=en") == "fees-id-5-lang-en.html"
    assert page_filename("https://clinic.test/../../etc/passwd") == "etc-passwd.html"
    assert page_filename("https://clinic.test/caf%C3%A9/%2e%2e%2fsecret") == "cafe-secret.html"
    assert len(page_filename("https://clinic.test/" + "a" * 500)) <= 85


def test_a_sitemap_index_leads_through_two_sitemaps_to_their_pages(site: str, limits: ImportLimits) -> None:
    plan = discover(f"{site}/sitemap_index.xml", limits)
    assert plan.kind == "sitemap"
    # page/a listed three times (once with #top) and page/b in both sitemaps: each once, in order
    assert plan.urls == [f"{site}/page/a", f"{site}/page/b", f"{site}/page/c"]  # c: from the gzipped sitemap
    refused = dict(plan.refused)
    assert "host not allowed" in refused["http://elsewhere.example/sitemap.xml"]
    assert "host not allowed" in refused["http://elsewhere.example/page/x"]
    assert "only http and https" in refused["ftp://127.0.0.1/file"]
    assert f"{site}/sitemap_index.xml" not in refused  # it names itself: read once, no loop


def test_import_pages_fetches_what_the_sitemap_names(site: str, limits: ImportLimits) -> None:
    pages, refused = import_pages(f"{site}/sitemap_index.xml", limits)
    assert [(p.url, p.filename, p.data) for p in pages] == [
        (f"{site}/page/{n}", f"page-{n}.html", html(n)) for n in ("a", "b", "c")]
    assert len(refused) == 3


def test_failures_of_single_pages_are_reported_not_raised(site: str, limits: ImportLimits) -> None:
    pages, refused = import_pages(f"{site}/mixed.xml", limits)
    assert [p.url for p in pages] == [f"{site}/page/a"]  # /redirect-local lands on page/a too: kept once
    reasons = dict(refused)
    assert reasons[f"{site}/missing"] == "HTTP 404 Not Found"
    assert "not an HTML page (content type application/pdf)" in reasons[f"{site}/file.pdf"]
    assert "host not allowed" in reasons[f"{site}/redirect-other"]


def test_an_rss_feed_gives_its_items_links(site: str, limits: ImportLimits) -> None:
    plan = discover(f"{site}/rss.xml", limits)
    assert plan.kind == "feed"
    assert plan.urls == [f"{site}/page/a", f"{site}/page/rss-only"]
    assert [url for url, _ in plan.refused] == ["https://elsewhere.example/post"]


def test_an_atom_feed_served_as_octet_stream_is_sniffed_and_relative_links_resolved(
        site: str, limits: ImportLimits) -> None:
    plan = discover(f"{site}/atom.xml", limits)
    assert (plan.kind, plan.urls) == ("feed", [f"{site}/page/atom-only", f"{site}/page/b"])


def test_an_html_body_under_a_generic_type_is_a_page(site: str, limits: ImportLimits) -> None:
    assert fetch_page(f"{site}/generic-html", limits).content_type == "text/html"


def test_odd_sitemap_entries_are_resolved_or_refused_not_raised(site: str, limits: ImportLimits) -> None:
    plan = discover(f"{site}/odd.xml", limits)
    assert plan.urls == [f"{site}/page/c", f"{site}/page/b"]  # relative to the sitemap; white space trimmed
    assert len(plan.refused) == 1 and "broken" in plan.refused[0][0]
    assert "redirected to http://[broken" in refusal(lambda: fetch_page(f"{site}/redirect-broken", limits))
    assert fetch_page(f"{site}/xhtml", limits).filename == "xhtml.html"  # XHTML under a generic type, sniffed


def test_max_pages_is_respected(site: str, limits: ImportLimits) -> None:
    few = ImportLimits(limits.allowed_hosts, limits.max_bytes, limits.timeout_seconds, max_pages=10)
    plan = discover(f"{site}/many.xml", few)
    assert plan.urls == [f"{site}/page/{n}" for n in range(10)]
    assert len(plan.refused) == 20
    assert all(reason == "over the limit of 10 pages" for _, reason in plan.refused)


def test_allowed_redirects_are_followed_and_the_final_url_kept(site: str, limits: ImportLimits) -> None:
    page = fetch_page(f"{site}/redirect-local", limits)
    assert (page.url, page.filename) == (f"{site}/page/a", "page-a.html")


# --- what an import refuses ---------------------------------------------------------------------------------


def test_importing_is_off_without_allowed_hosts(site: str) -> None:
    assert "importing is off" in refusal(lambda: fetch_page(f"{site}/page/a", ImportLimits(allowed_hosts=())))


@pytest.mark.parametrize("url", ["ftp://127.0.0.1/x", "file:///etc/passwd", "javascript:alert(1)", "/page/a"])
def test_only_http_and_https(url: str, limits: ImportLimits) -> None:
    assert "only http and https" in refusal(lambda: discover(url, limits))


def test_credentials_in_the_url_are_refused(site: str, limits: ImportLimits) -> None:
    url = site.replace("http://", "http://staff:secret@") + "/page/a"
    assert "user name or password" in refusal(lambda: fetch_page(url, limits))


def test_hosts_match_exactly_case_insensitively_with_their_port(site: str) -> None:
    port = site.rsplit(":", 1)[1]
    assert "host not allowed" in refusal(lambda: fetch_page(f"{site}/page/a", ImportLimits(("127.0.0.1",))))
    assert "host not allowed" in refusal(lambda: fetch_page(f"{site}/page/a", ImportLimits(("127.0.0.10:" + port,))))
    assert "host not allowed" in refusal(lambda: fetch_page(f"{site}/page/a", ImportLimits(("evil.127.0.0.1",))))
    listed_name = ImportLimits((f"LocalHost:{port}",))
    assert fetch_page(f"http://localHOST:{port}/page/a", listed_name).data == html("a")


def test_listed_127_0_0_1_with_its_port_is_allowed(site: str, limits: ImportLimits) -> None:
    assert limits.allowed_hosts == (site.removeprefix("http://"),)
    assert fetch_page(f"{site}/page/a", limits).data == html("a")


def test_loopback_is_refused_when_not_listed_exactly(site: str) -> None:
    port = site.rsplit(":", 1)[1]
    wildcard = ImportLimits((f"*.localhost:{port}",))  # allows the name, but does not vouch for its addresses
    reason = refusal(lambda: fetch_page(f"http://localhost:{port}/page/a", wildcard))
    assert "127.0.0.1 is a loopback address" in reason


@pytest.mark.parametrize(("address", "word"), [
    ("127.0.0.1", "loopback"), ("::1", "loopback"), ("::ffff:127.0.0.1", "loopback"),
    ("10.0.0.7", "private"), ("192.168.1.1", "private"), ("172.16.0.1", "private"), ("fc00::1", "private"),
    ("::ffff:10.0.0.7", "private"), ("2002:a00:7::", "private"), ("64:ff9b::a00:7", "private"),
    ("169.254.169.254", "link-local"), ("fe80::1", "link-local"), ("100.64.0.1", "not a public"),
    ("0.0.0.0", "unspecified"), ("::", "unspecified"), ("224.0.0.1", "multicast"), ("ff02::1", "multicast"),
    ("240.0.0.1", "private"), ("2001:db8::1", "private"),  # Python counts these reserved ranges as private
])
def test_non_public_addresses_are_refused(address: str, word: str) -> None:
    reason = address_refusal(address)
    assert reason is not None and word in reason


def test_public_addresses_pass_and_listed_hosts_vouch_for_private_ones() -> None:
    assert address_refusal("93.184.216.34") is None
    assert address_refusal("2606:4700:4700::1111") is None
    assert address_refusal("127.0.0.1", vouched=True) is None
    assert address_refusal("10.1.2.3", vouched=True) is None
    assert address_refusal("0.0.0.0", vouched=True) is not None  # never a web server, even when listed
    assert address_refusal("224.0.0.1", vouched=True) is not None


def test_a_redirect_to_a_host_not_allowed_is_refused(site: str, limits: ImportLimits) -> None:
    reason = refusal(lambda: fetch_page(f"{site}/redirect-other", limits))
    assert reason == "redirected to http://elsewhere.example/page/a: host not allowed: elsewhere.example"
    assert "host not allowed: localhost" in refusal(lambda: fetch_page(f"{site}/redirect-localhost", limits))


def test_redirect_loops_stop(site: str, limits: ImportLimits) -> None:
    assert refusal(lambda: fetch_page(f"{site}/redirect-loop", limits)) == "more than 5 redirects"


def test_a_huge_body_is_stopped_while_streaming(site: str, limits: ImportLimits) -> None:
    assert "larger than the limit of 200,000 bytes" in refusal(lambda: fetch_page(f"{site}/huge", limits))
    assert "larger than the limit" in refusal(lambda: fetch_page(f"{site}/declared-huge", limits))
    assert fetch_page(f"{site}/huge", ImportLimits(limits.allowed_hosts, max_bytes=2_000_000)).data.startswith(b"<p>")


def test_a_slow_body_is_stopped_by_the_total_time_limit(site: str, limits: ImportLimits) -> None:
    quick = ImportLimits(limits.allowed_hosts, timeout_seconds=1)
    started = time.monotonic()
    assert refusal(lambda: fetch_page(f"{site}/slow", quick)) == "timed out after 1 seconds"
    assert time.monotonic() - started < 2.5


def test_http_errors_and_other_content_types_are_refused(site: str, limits: ImportLimits) -> None:
    assert refusal(lambda: discover(f"{site}/missing", limits)) == "HTTP 404 Not Found"
    assert "content type application/json" in refusal(lambda: discover(f"{site}/data.json", limits))
    assert "content type application/xml" in refusal(lambda: fetch_page(f"{site}/many.xml", limits))


def test_xml_entities_are_refused_not_expanded(site: str, limits: ImportLimits) -> None:
    assert "declares entities" in refusal(lambda: discover(f"{site}/xxe.xml", limits))
    assert "declares entities" in refusal(lambda: discover(f"{site}/bomb.xml", limits))


def test_no_cookies_or_credentials_are_sent_and_the_user_agent_is_ours(site: str, limits: ImportLimits) -> None:
    port = site.rsplit(":", 1)[1]
    listed = ImportLimits((f"localhost:{port}",))
    with httpx.Client(cookies={"session": "secret"}, headers={"Authorization": "Bearer secret"}) as client:
        sent = json.loads(fetch_page(f"http://localhost:{port}/echo", listed, client).data)
    headers = {name.lower(): value for name, value in sent.items()}
    assert headers["user-agent"] == "clinicbot-importer"
    assert headers["host"] == f"localhost:{port}"  # the name, though the connection went to the checked IP
    assert "cookie" not in headers and "authorization" not in headers


def test_limits_come_from_the_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    assert Settings().import_allowed_hosts == []
    monkeypatch.setenv("CLINICBOT_IMPORT_ALLOWED_HOSTS", "clinic.test, www.clinic.test:8443")
    settings = Settings(import_max_pages=7, import_max_bytes=1000, import_timeout_seconds=2.5)
    assert ImportLimits.from_settings(settings) == ImportLimits(("clinic.test", "www.clinic.test:8443"), 1000, 2.5, 7)
