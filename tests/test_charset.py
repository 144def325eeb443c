import codecs

import pytest

from govscan.charset import decode

TEXT = "<html><head><title>白水县人民政府门户网站</title></head><body>县政府常务会议 𠀀</body></html>"
GBK_TEXT = TEXT.replace(" 𠀀", "")


@pytest.mark.parametrize("body, content_type, expected_encoding, text", [
    (TEXT.encode("utf-8"), "text/html; charset=utf-8", "utf-8", TEXT),
    (TEXT.encode("utf-8"), "text/html; charset=gbk", "utf-8", TEXT),          # wrong header
    (TEXT.encode("utf-8"), None, "utf-8", TEXT),
    (GBK_TEXT.encode("gbk"), "text/html; charset=utf-8", "gb18030", GBK_TEXT),  # wrong header
    (GBK_TEXT.encode("gbk"), None, "gb18030", GBK_TEXT),                      # nothing declared
    (GBK_TEXT.replace("<head>", '<head><meta charset="gb2312">').encode("gbk"), "text/html",
     "gb18030", GBK_TEXT.replace("<head>", '<head><meta charset="gb2312">')),
    (TEXT.encode("gb18030"), "text/html; charset=gb2312", "gb18030", TEXT),   # 4-byte GB18030 char
    (codecs.BOM_UTF8 + TEXT.encode("utf-8"), "text/html; charset=gbk", "utf-8", TEXT),
    (codecs.BOM_UTF16_LE + TEXT.encode("utf-16-le"), None, "utf-16", TEXT),
    (TEXT.encode("utf-16-le"), "text/html", "utf-16", TEXT),                  # UTF-16 without BOM
    (TEXT.encode("utf-16-be"), "text/html; charset=utf-8", "utf-16", TEXT),
])
def test_decode(body, content_type, expected_encoding, text):
    decoded, encoding = decode(body, content_type)
    assert decoded == text
    assert encoding.startswith(expected_encoding)


def test_invalid_bytes_never_raise():
    decoded, _ = decode(b"<html>\xff\xfe\xfa\x80abc</html>" * 10, "text/html; charset=utf-8")
    assert "abc" in decoded
