# The libraries Keepsake uses (Debian packages, see scripts/setup.sh) and ccache; shared by the
# main build and the fuzz build (fuzz/CMakeLists.txt).
find_program(CCACHE_PROGRAM ccache)
if(CCACHE_PROGRAM)
  set(CMAKE_CXX_COMPILER_LAUNCHER ${CCACHE_PROGRAM})
endif()

find_package(PkgConfig REQUIRED)
find_package(PostgreSQL REQUIRED)
find_package(Threads REQUIRED)
find_package(OpenSSL REQUIRED)
find_package(ZLIB REQUIRED)
find_package(nlohmann_json REQUIRED)
find_package(spdlog REQUIRED)
find_package(fmt REQUIRED)
find_package(CLI11 REQUIRED)
if(KEEPSAKE_BUILD_TESTS)
  find_package(GTest REQUIRED)
endif()
pkg_check_modules(ISAL REQUIRED IMPORTED_TARGET libisal)
pkg_check_modules(LIBXCRYPT REQUIRED IMPORTED_TARGET libxcrypt)
pkg_check_modules(HTTPLIB REQUIRED IMPORTED_TARGET cpp-httplib)
# hiredis: only its library. Its headers are included by path (<hiredis/...>), and its pkg-config
# flags (-isystem, -D_FILE_OFFSET_BITS) would otherwise reach every object and change nothing but
# ccache's key. msgpack-c's C++ API is header-only (used with MSGPACK_NO_BOOST).
pkg_check_modules(HIREDIS REQUIRED hiredis)
find_path(MSGPACK_CXX_INCLUDE_DIR msgpack.hpp REQUIRED)

# What keepsake_core and the fuzz targets link.
set(KEEPSAKE_LIBRARIES
  PostgreSQL::PostgreSQL Threads::Threads OpenSSL::SSL OpenSSL::Crypto ZLIB::ZLIB
  nlohmann_json::nlohmann_json spdlog::spdlog fmt::fmt CLI11::CLI11
  PkgConfig::ISAL PkgConfig::LIBXCRYPT PkgConfig::HTTPLIB ${HIREDIS_LINK_LIBRARIES})
