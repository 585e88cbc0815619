#include "schema/model.h"

#include <algorithm>

namespace keepsake::schema {
namespace {

template <typename T>
const T* find_by_name(const std::vector<T>& items, const std::string& name) {
  auto it = std::find_if(items.begin(), items.end(), [&](const T& t) { return t.name == name; });
  return it == items.end() ? nullptr : &*it;
}

}  // namespace

const Column* Table::find_column(const std::string& n) const { return find_by_name(columns, n); }
const Constraint* Table::find_constraint(const std::string& n) const {
  return find_by_name(constraints, n);
}
const Index* Table::find_index(const std::string& n) const { return find_by_name(indexes, n); }
const Trigger* Table::find_trigger(const std::string& n) const { return find_by_name(triggers, n); }
const Table* Schema::find_table(const std::string& n) const { return find_by_name(tables, n); }
const Function* Schema::find_function(const std::string& n) const {
  return find_by_name(functions, n);
}
const Enum* Schema::find_enum(const std::string& n) const { return find_by_name(enums, n); }

}  // namespace keepsake::schema
