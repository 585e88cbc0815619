#!/usr/bin/env python3
"""Writes the seed corpora under fuzz/corpus/<target>/ (committed; run again after changing a seed).

Seeds are small, valid or nearly valid inputs of each parser, so the fuzzer starts from the forms
Keepsake really meets (pg_dump output, Immich's backup names, DB_URL forms, upload requests).
"""
import gzip
import os
import shutil

HERE = os.path.dirname(os.path.abspath(__file__))
SEP = b"\xff"

DUMP_HEAD = (b"--\n-- PostgreSQL database dump\n--\n\n-- Dumped by pg_dump version 15.20\n\n"
             b"SET statement_timeout = 0;\nSET client_encoding = 'UTF8';\n"
             b"SET standard_conforming_strings = on;\n"
             b"SELECT pg_catalog.set_config('search_path', '', false);\n\n")
DUMP_TAIL = b"\n--\n-- PostgreSQL database dump complete\n--\n\n\\unrestrict abc\n\n"
BODY = (b"CREATE TABLE public.t (a integer, b text);\n"
        b"CREATE FUNCTION public.f() RETURNS integer LANGUAGE sql AS $_$ SELECT 1; $_$;\n"
        b"CREATE PROCEDURE public.p() LANGUAGE sql BEGIN ATOMIC SELECT 1; END;\n"
        b"COPY public.t (a, b) FROM stdin;\n1\thello\n2\t\\N\n3\ttab\\there\n\\.\n"
        b"SELECT pg_catalog.setval('public.s', 3, true);\n"
        b"COPY public.smart_search (\"assetId\", embedding) FROM stdin;\n"
        b"00000000-0000-0000-0000-000000000001\t[0.1,-2.5,3e-05]\n\\.\n"
        b"ALTER TABLE ONLY public.t\n    ADD CONSTRAINT t_pkey PRIMARY KEY (a);\n"
        b"CREATE INDEX t_b_idx ON public.t USING btree (b);\n"
        b"COMMENT ON EXTENSION vector IS 'x';\n/* block /* nested */ */ SELECT E'it''s \\' ;' ;\n")
DUMP = DUMP_HEAD + BODY + DUMP_TAIL
CLUSTER = (b"--\n-- PostgreSQL database cluster dump\n--\n\nCREATE ROLE immich;\n"
           b"\\connect immich\n\n" + DUMP + b"\\connect -reuse-previous=on \"dbname='other db'\"\nSELECT 1;\n"
           b"\n--\n-- PostgreSQL database cluster dump complete\n--\n\n")
HOSTILE = DUMP_HEAD + b"\\! rm -rf /\nCOPY public.t FROM PROGRAM 'id';\n" + DUMP_TAIL


def upload_request(body, filename=b"mine.sql.gz", key=True, content_type=b"application/gzip"):
    part = (b"--b0\r\nContent-Disposition: form-data; name=\"file\"; filename=\"" + filename + b"\"\r\n"
            b"Content-Type: " + content_type + b"\r\n\r\n" + body + b"\r\n--b0--\r\n")
    head = (b"POST /api/admin/database-backups/upload HTTP/1.1\r\nHost: localhost\r\n" +
            (b"x-api-key: k\r\n" if key else b"") +
            b"Content-Type: multipart/form-data; boundary=b0\r\nContent-Length: " +
            str(len(part)).encode() + b"\r\n\r\n")
    return head + part


SEEDS = {
    "cron": [b"0 2 * * *", b"*/5 * * * * *", b"@daily", b"@yearly", b"0 0 1 jan,jul mon-fri",
             b"30 4 1-15/2 * 7", b"0 0 30 2 *", b"0 0 29 2 *", b"59 23 31 12 sun", b"* * * * * * *"],
    "db_url": [b"postgresql://user:secretpw@host:5432/immich?sslmode=require",
               b"postgres://u@/db?host=/run/postgresql", b"postgresql://u:p@%2Frun%2Fpostgresql/immich",
               b"postgresql://u:p@[::1]:5432/db?uselibpqcompat=true&sslmode=verify-full",
               b"postgresql://u:p%40ss@host/db", b"postgresql://host:99999/db", b"mysql://x"],
    "maintenance_token": [b"admin" + SEP + b"eyJhbGciOiJIUzI1NiJ9.eyJ1c2VybmFtZSI6ImEiLCJpYXQiOjEsImV4cCI6Mn0.c2ln",
                          b"\xc3\xa9" + SEP + b"a.b.c", b"" + SEP + b"eyJhbGciOiJub25lIn0.e30."],
    "backup_files": [b"\x03" + SEP.join([b"immich-db-backup-20250101T020000-v2.7.5-pg15.20.sql.gz",
                                          b"immich-db-backup-1700000000000.sql.gz",
                                          b"immich-db-backup-20250101T020000-v2.7.5-pg15.20.sql.gz.tmp",
                                          b"uploaded-x.sql", b"restore-point-immich-db-backup-x.sql.gz",
                                          b"../evil.sql.gz", b"a" * 250 + b".sql"])],
    "sql_splitter": [b"\x05" + DUMP, b"\x01" + CLUSTER, b"\x10" + HOSTILE,
                     b"\x03SELECT $a$ ; $a$; SELECT 'x'';'; CREATE FUNCTION f() BEGIN ATOMIC SELECT 1; END;\n"],
    "dump_scan": [b"\x00" + DUMP, b"\x01" + gzip.compress(DUMP, mtime=0), b"\x00" + CLUSTER,
                  b"\x01" + gzip.compress(DUMP[:200], mtime=0) + gzip.compress(DUMP[200:], mtime=0),
                  b"\x00" + HOSTILE, b"\x01" + bytes(range(256))],
    "binary_copy": [b"\x04\x10COPY public.smart_search (\"assetId\", embedding) FROM stdin;" + SEP +
                    b"00000000-0000-0000-0000-000000000001\t[0.1,-2.5,3e-05]\n"
                    b"AAAAAAAA-0000-0000-0000-00000000000F\t\\N\n",
                    b"\x00\x05COPY public.t (\"a\"\"b\", c) FROM stdin;" + SEP +
                    b"00000000-0000-0000-0000-000000000001\n\\N\n"],
    "copy_text": [SEP.join([b"tab\there\nnew\\line\r", b"\x00\x01\xff", b"\x00\x00\x80\x3f\x00\x00\x00\xc0",
                            b"2024-02-29T12:34:56Z"]),
                  SEP.join([b"plain", b"", b"\x00\x00\xc0\x7f", b"1970-01-01"])],
    "upload": [upload_request(gzip.compress(DUMP, mtime=0)), upload_request(DUMP, b"plain.sql", True, b"application/sql"),
               upload_request(DUMP, key=False), upload_request(bytes(range(256)) * 4, b"random.sql.gz"),
               upload_request(DUMP, b"../../etc/x.sql"),
               b"POST /api/admin/database-backups/upload HTTP/1.1\r\nx-api-key: k\r\n"
               b"Content-Type: application/json\r\nContent-Length: 2\r\n\r\n{}",
               b"POST /api/admin/database-backups/upload HTTP/1.1\r\nx-api-key: k\r\n"
               b"Content-Type: multipart/form-data; boundary=b0\r\nTransfer-Encoding: chunked\r\n\r\n"
               b"5\r\n--b0\r\n0\r\n\r\n"],
    "json_bodies": [b'{"email":" Admin@Example.com ","password":"p","name":"A"}',
                    b'{"name":"key","permissions":["all","asset.read"]}', b'{"backups":["a.sql.gz","../x"]}',
                    b'{"name":"tag-cleanup","command":"start","force":true}',
                    b'{"action":"restore_database","restoreBackupFilename":"uploaded-x.sql.gz"}',
                    b'{"token":"eyJ.a.b"}',
                    b'{"query":"cat","page":2,"size":10,"make":null,"rating":-1,"isFavorite":true,'
                    b'"albumIds":["00000000-0000-0000-0000-000000000001"],"embedding":[0.5,-1e38],'
                    b'"visibility":"archive","takenAfter":"2020-01-01"}',
                    b'{"embedding":"[1,2,3]"}', b'[]', b'{}'],
}


def main():
    root = os.path.join(HERE, "corpus")
    for target, seeds in SEEDS.items():
        folder = os.path.join(root, target)
        shutil.rmtree(folder, ignore_errors=True)
        os.makedirs(folder)
        for i, seed in enumerate(seeds):
            with open(os.path.join(folder, "seed-%02d" % i), "wb") as f:
                f.write(seed)


if __name__ == "__main__":
    main()
