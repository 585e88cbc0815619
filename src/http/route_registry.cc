#include "http/route_registry.h"

#include <algorithm>

namespace keepsake::http {
namespace {

struct Entry {
  std::string route_set;
  std::string name;
  RouteInstaller installer;
};

std::vector<Entry>& registry() {
  static std::vector<Entry> entries;
  return entries;
}

std::vector<const Entry*> entries_for(std::string_view route_set) {
  std::vector<const Entry*> out;
  for (const auto& e : registry()) {
    if (e.route_set == route_set) out.push_back(&e);
  }
  std::sort(out.begin(), out.end(), [](auto* a, auto* b) { return a->name < b->name; });
  return out;
}

}  // namespace

RouteInstallerRegistrar::RouteInstallerRegistrar(std::string_view route_set, const char* name,
                                                 RouteInstaller installer) {
  registry().push_back({std::string(route_set), name, std::move(installer)});
}

RouteTable build_route_table(std::string_view route_set, const RouteDeps& deps) {
  RouteTable table;
  for (const auto* e : entries_for(route_set)) e->installer(table, deps);
  return table;
}

std::vector<std::string> route_installer_names(std::string_view route_set) {
  std::vector<std::string> names;
  for (const auto* e : entries_for(route_set)) names.push_back(e->name);
  return names;
}

}  // namespace keepsake::http
