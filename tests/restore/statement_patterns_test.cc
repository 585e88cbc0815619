#include "restore/statement_patterns.h"

#include <gtest/gtest.h>

namespace keepsake::restore {
namespace {

TEST(StatementPatternsTest, PgDumpCopyFormOnly) {
  EXPECT_EQ(pg_dump_copy_table("COPY public.asset (id, \"originalPath\", \"a)b\") FROM stdin;"), "public.asset");
  EXPECT_EQ(pg_dump_copy_table("COPY public.\"user\" (id) FROM stdin;"), "public.\"user\"");
  EXPECT_EQ(pg_dump_copy_table("COPY keepsake.job FROM stdin;"), "keepsake.job");
  EXPECT_FALSE(pg_dump_copy_table("COPY t (a) FROM stdin WITH (FORMAT csv);"));
  EXPECT_FALSE(pg_dump_copy_table("COPY t (a) FROM '/etc/passwd';"));
  EXPECT_FALSE(pg_dump_copy_table("COPY t FROM PROGRAM 'id';"));
  EXPECT_FALSE(pg_dump_copy_table("COPY t TO stdout;"));
  EXPECT_FALSE(pg_dump_copy_table("COPY (SELECT 1) TO stdout;"));
  EXPECT_FALSE(pg_dump_copy_table("COPY t (a) FROM stdin; DROP TABLE x;"));
}

TEST(StatementPatternsTest, SessionSettings) {
  EXPECT_TRUE(is_session_setting("SET statement_timeout = 0;"));
  EXPECT_TRUE(is_session_setting("SELECT pg_catalog.set_config('search_path', '', false);"));
  EXPECT_FALSE(is_session_setting("SET LOCAL x = 1;"));
  EXPECT_FALSE(is_session_setting("SET CONSTRAINTS ALL DEFERRED;"));
  EXPECT_FALSE(is_session_setting("SELECT pg_catalog.setval('public.audit_id_seq', 1, false);"));
  EXPECT_TRUE(turns_off_standard_strings("SET standard_conforming_strings = off;"));
  EXPECT_TRUE(turns_off_standard_strings("SET standard_conforming_strings TO 'off';"));
  EXPECT_FALSE(turns_off_standard_strings("SET standard_conforming_strings = on;"));
}

TEST(StatementPatternsTest, DatabaseAndRoleStatementsAreRecognised) {
  EXPECT_TRUE(is_database_level("CREATE DATABASE immich WITH TEMPLATE = template0;"));
  EXPECT_TRUE(is_database_level("ALTER DATABASE immich SET search_path TO '$user', 'public';"));
  EXPECT_TRUE(is_database_level("DROP DATABASE immich;"));
  EXPECT_TRUE(is_database_level("CREATE ROLE postgres;"));
  EXPECT_TRUE(is_database_level("ALTER ROLE postgres WITH SUPERUSER;"));
  EXPECT_TRUE(is_database_level("COMMENT ON DATABASE immich IS 'x';"));
  EXPECT_TRUE(is_database_level("GRANT CONNECT ON DATABASE immich TO app;"));
  EXPECT_TRUE(is_database_level("GRANT pg_read_all_data TO app;"));
  EXPECT_FALSE(is_database_level("GRANT ALL ON SCHEMA public TO app;"));
  EXPECT_FALSE(is_database_level("ALTER TABLE public.album OWNER TO postgres;"));
  EXPECT_FALSE(is_database_level("CREATE TABLE public.database (id int);"));
}

TEST(StatementPatternsTest, ExtensionsIndexesAndOwners) {
  EXPECT_EQ(created_extension("CREATE EXTENSION IF NOT EXISTS \"uuid-ossp\" WITH SCHEMA public;"), "uuid-ossp");
  EXPECT_EQ(created_extension("CREATE EXTENSION vector;"), "vector");
  EXPECT_EQ(dropped_extension("DROP EXTENSION IF EXISTS earthdistance;"), "earthdistance");
  EXPECT_EQ(commented_extension("COMMENT ON EXTENSION cube IS 'data type';"), "cube");
  EXPECT_EQ(index_like_table("CREATE INDEX asset_checksum_idx ON public.asset USING hash (checksum);"), "public.asset");
  EXPECT_EQ(index_like_table("CREATE UNIQUE INDEX \"UQ_assets_owner_checksum\" ON ONLY public.asset USING btree (x);"),
            "public.asset");
  EXPECT_EQ(index_like_table("ALTER TABLE ONLY public.\"user\"\n    ADD CONSTRAINT user_pkey PRIMARY KEY (id);"),
            "public.\"user\"");
  EXPECT_FALSE(index_like_table("CREATE INDEX CONCURRENTLY i ON public.t (a);"));
  EXPECT_FALSE(index_like_table("ALTER TABLE ONLY public.a\n    ADD CONSTRAINT a_fkey FOREIGN KEY (b) REFERENCES public.b(id);"));
  EXPECT_EQ(owner_role("ALTER TABLE public.album OWNER TO postgres;"), "postgres");
  EXPECT_EQ(owner_role("ALTER FUNCTION public.f() OWNER TO \"Immich\";"), "Immich");
  EXPECT_FALSE(owner_role("CREATE TABLE x (owner_to text);"));
}

TEST(StatementPatternsTest, ConnectTargetsAsPgDumpallWritesThem) {
  EXPECT_EQ(connect_target("immich"), "immich");
  EXPECT_EQ(connect_target("\"My Db\""), "My Db");
  EXPECT_EQ(connect_target("-reuse-previous=on \"dbname='it''s'\""), "it's");
  EXPECT_FALSE(connect_target("immich otheruser"));
  EXPECT_FALSE(connect_target("host=evil dbname=x"));
}

}  // namespace
}  // namespace keepsake::restore
