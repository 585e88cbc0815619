# Writes a file of web/ (a page or a script) into a C++ source as a raw string, so the page ships inside the binary:
# nothing to install next to it, nothing to find at run time.
# Usage: cmake -DINPUT=<html> -DOUTPUT=<cc> -DFUNCTION=<name of the accessor> -P embed_web_page.cmake
file(READ "${INPUT}" CONTENT)
string(FIND "${CONTENT}" ")KSWEB\"" CLASH)
if(NOT CLASH EQUAL -1)
  message(FATAL_ERROR "${INPUT} contains the raw-string delimiter )KSWEB\"")
endif()
get_filename_component(NAME "${INPUT}" NAME)
file(WRITE "${OUTPUT}.tmp" "// Generated from web/${NAME} by cmake/embed_web_page.cmake: do not edit.\n#include \"http/web_page.h\"\n\nnamespace keepsake::http {\n\nconst std::string& ${FUNCTION}() {\n  static const std::string page = R\"KSWEB(${CONTENT})KSWEB\";\n  return page;\n}\n\n}  // namespace keepsake::http\n")
file(RENAME "${OUTPUT}.tmp" "${OUTPUT}")
