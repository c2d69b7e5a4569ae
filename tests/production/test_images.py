"""Product images only from the image hosts Uphance uses: any other URL is dropped, and the CSP agrees."""
import pytest
from django.core.exceptions import ImproperlyConfigured

from production.images import image_origins, image_url_allowed, safe_image_url

UPHANCE = ["https://uphance.com", "https://*.uphance.com"]
SANDBOX = [*UPHANCE, "http://127.0.0.1:8765"]


@pytest.mark.parametrize("url", [
    "https://uphance.com/uploads/product/image/111591/3465o-3206-1813-A.jpg",  # the seeds' hosts
    "https://woah2.uphance.com/uploads/product_image/image/57009/33_81100__top___-__14_8830__short_.jpg?",
    "https://WOAH2.Uphance.com:443/uploads/product/image/134509/White_4.jpg",
])
def test_images_on_uphances_hosts_are_kept(url):
    assert image_url_allowed(url, hosts=UPHANCE)
    assert safe_image_url(url, hosts=UPHANCE) == url


@pytest.mark.parametrize("url", [
    "https://tracker.example/pixel.gif?board=viewed",
    "https://uphance.com.tracker.example/x.jpg",
    "https://eviluphance.com/x.jpg",
    "http://uphance.com/x.jpg",  # the entry is https only
    "https://uphance.com:8443/x.jpg",
    "https://uphance.com./x.jpg",
    "https://user:pw@uphance.com/x.jpg",
    "https://uphance.com@tracker.example/x.jpg",
    "https://uphance.com\\@tracker.example/x.jpg",
    "https://tracker.example\\.uphance.com/x.jpg",
    "https://%74racker.example/x.jpg",
    "https://xn--uphnce-5qa.com/x.jpg",
    "https://uphаnce.com/x.jpg",  # Cyrillic а
    " https://uphance.com/x.jpg",
    "https://uphance.com/x.jpg\nhttps://tracker.example/",
    "//tracker.example/x.jpg",
    "/static/img/x.png",
    "javascript:alert(1)",
    "data:image/svg+xml,<svg/>",
    "https://[::1]/x.jpg",
    "https://uphance.com:99999/x.jpg",
    "https://uphance.com/" + "a" * 1000,
    "",
    None,
    42,
])
def test_every_other_url_is_dropped(url):
    assert not image_url_allowed(url, hosts=UPHANCE)
    assert safe_image_url(url, hosts=UPHANCE) == ""


def test_the_sandbox_origin_is_allowed_when_listed_and_only_with_its_port():
    image = "http://127.0.0.1:8765/images/product/1001/linen-shirt.svg"
    assert image_url_allowed(image, hosts=SANDBOX)
    assert not image_url_allowed(image, hosts=UPHANCE)
    assert not image_url_allowed("http://127.0.0.1:9999/images/product/1001/x.svg", hosts=SANDBOX)
    assert not image_url_allowed("http://127.0.0.1/images/product/1001/x.svg", hosts=SANDBOX)


def test_the_settings_decide_by_default(settings):
    settings.SEAMLINE_IMAGE_HOSTS = ["https://images.brand.example"]
    assert image_url_allowed("https://images.brand.example/a.jpg")
    assert not image_url_allowed("https://uphance.com/a.jpg")


def test_hosts_in_the_environment_become_origins_and_garbage_is_refused():
    assert image_origins(["uphance.com", " *.Uphance.com ", "http://127.0.0.1:8765/", "uphance.com"]) == [
        "https://uphance.com", "https://*.uphance.com", "http://127.0.0.1:8765",
    ]
    for entry in ["https:", "ftp://uphance.com", "uphance.com; script-src *", "*", "https://uphance.com/path"]:
        with pytest.raises(ImproperlyConfigured):
            image_origins([entry])


def test_pages_allow_images_only_from_the_listed_origins(client, user, settings):
    client.force_login(user)
    policy = client.get("/")["Content-Security-Policy"]
    img_src = next(d.split()[1:] for d in policy.split(";") if d.split()[:1] == ["img-src"])
    assert img_src == ["'self'", "data:", *settings.SEAMLINE_IMAGE_HOSTS]
    assert settings.SEAMLINE_IMAGE_HOSTS == UPHANCE  # the default: Uphance's image hosts, https only
    assert "https:" not in img_src
