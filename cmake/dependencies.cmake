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
find_package(GTest REQUIRED)
pkg_check_modules(ISAL REQUIRED IMPORTED_TARGET libisal)
pkg_check_modules(LIBXCRYPT REQUIRED IMPORTED_TARGET libxcrypt)
pkg_check_modules(HTTPLIB REQUIRED IMPORTED_TARGET cpp-httplib)

# What keepsake_core and the fuzz targets link.
set(KEEPSAKE_LIBRARIES
  PostgreSQL::PostgreSQL Threads::Threads OpenSSL::SSL OpenSSL::Crypto ZLIB::ZLIB
  nlohmann_json::nlohmann_json spdlog::spdlog fmt::fmt CLI11::CLI11
  PkgConfig::ISAL PkgConfig::LIBXCRYPT PkgConfig::HTTPLIB)
