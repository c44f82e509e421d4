"""`make run` reads chunked request bodies as API Gateway does."""
import io

from tools.local_http import read_chunked


def test_chunks_are_joined_and_trailers_skipped():
    stream = io.BytesIO(b"3\r\nabc\r\n2;ext=1\r\nde\r\n0\r\nTrailer: x\r\n\r\nNEXT REQUEST")
    assert read_chunked(stream, limit=100) == (b"abcde", True)
    assert stream.read() == b"NEXT REQUEST"


def test_past_the_limit_it_stops_with_one_byte_too_many():
    body, complete = read_chunked(io.BytesIO(b"10\r\n" + b"a" * 16 + b"\r\n0\r\n\r\n"), limit=8)
    assert (len(body), complete) == (9, False)


def test_a_broken_chunk_size_ends_the_body():
    assert read_chunked(io.BytesIO(b"zz\r\nabc"), limit=8) == (b"", False)
