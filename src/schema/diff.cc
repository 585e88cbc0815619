#include "schema/diff.h"

#include <algorithm>
#include <map>
#include <tuple>

#include "db/connection.h"
#include "schema/diff_sql.h"

namespace keepsake::schema {
namespace {

using db::quote_ident;
using db::quote_literal;
using namespace sql;

class Collector {
 public:
  void add(DriftKind kind, const std::string& table, const std::string& name, std::string description,
           std::vector<SqlStep> steps) {
    items_.push_back({kind, table, name, std::move(description), std::move(steps)});
  }

  std::vector<DriftItem> sorted() {
    std::stable_sort(items_.begin(), items_.end(), [](const DriftItem& a, const DriftItem& b) {
      return std::tie(a.kind, a.table, a.name) < std::tie(b.kind, b.table, b.name);
    });
    return std::move(items_);
  }

 private:
  std::vector<DriftItem> items_;
};

std::string q(const std::string& name) { return "\"" + name + "\""; }

std::string or_none(const std::optional<std::string>& v, const char* none) {
  return v ? *v : none;
}

std::string col_ref(const std::string& table, const std::string& column) {
  return q(table) + "." + q(column);
}

std::string alter_column(const std::string& table, const std::string& column) {
  return "ALTER TABLE " + table_ref(table) + " ALTER COLUMN " + quote_ident(column) + " ";
}

void diff_extensions(const Schema& s, const Schema& t, Collector& out) {
  for (const auto& e : s.extensions) {
    bool found = std::any_of(t.extensions.begin(), t.extensions.end(),
                             [&](const Extension& x) { return x.name == e.name; });
    if (!found) {
      out.add(DriftKind::kExtension, "", e.name, "extension " + q(e.name) + " is missing",
              {safe(create_extension(e), kExtension)});
    }
  }
}

void diff_settings(const Schema& s, const Schema& t, const DiffOptions& o, Collector& out) {
  for (const auto& d : s.database_settings) {
    auto it = std::find_if(t.database_settings.begin(), t.database_settings.end(),
                           [&](const DatabaseSetting& x) { return x.name == d.name; });
    std::string what = "database setting " + q(d.name);
    if (it == t.database_settings.end()) {
      out.add(DriftKind::kSetting, "", d.name, what + " is missing",
              {safe(set_database(o.database_name, d), kSetting)});
    } else if (it->value != d.value) {
      out.add(DriftKind::kSetting, "", d.name,
              what + " differs: expected " + d.value + ", found " + it->value,
              {safe(set_database(o.database_name, d), kSetting)});
    }
  }
}

std::string join_labels(const std::vector<std::string>& labels) {
  std::string out = "[";
  for (size_t i = 0; i < labels.size(); ++i) out += (i ? ", " : "") + labels[i];
  return out + "]";
}

// Live labels that are an ordered subset of the declared ones can be completed with ADD VALUE.
std::optional<std::vector<SqlStep>> add_enum_values(const Enum& s, const Enum& t) {
  size_t next = 0;
  for (const auto& label : s.labels) {
    if (next < t.labels.size() && t.labels[next] == label) ++next;
  }
  if (next != t.labels.size()) return std::nullopt;
  std::vector<SqlStep> steps;
  for (size_t i = 0; i < s.labels.size(); ++i) {
    if (std::find(t.labels.begin(), t.labels.end(), s.labels[i]) != t.labels.end()) continue;
    std::string position =
        i == 0 ? (s.labels.size() > 1 ? " BEFORE " + quote_literal(s.labels[1]) : "")
               : " AFTER " + quote_literal(s.labels[i - 1]);
    steps.push_back(safe("ALTER TYPE " + quote_ident(s.name) + " ADD VALUE IF NOT EXISTS " +
                             quote_literal(s.labels[i]) + position + ";",
                         kEnum));
  }
  return steps;
}

// Rebuilds an enum whose labels were removed or reordered: columns of that type are converted
// through text, which fails (and rolls back) if a row holds a label that no longer exists.
std::vector<SqlStep> rebuild_enum(const Enum& s, const Schema& source, const Schema& target) {
  std::string old_name = s.name + "_old";
  std::vector<SqlStep> steps{
      destructive("ALTER TYPE " + quote_ident(s.name) + " RENAME TO " + quote_ident(old_name) + ";",
                  kEnum),
      destructive(create_enum(s), kEnum)};
  for (const auto& table : target.tables) {
    for (const auto& c : table.columns) {
      if (c.type != s.name && c.type != quote_ident(s.name)) continue;
      const Table* st = source.find_table(table.name);
      const Column* sc = st ? st->find_column(c.name) : nullptr;
      std::string alter = alter_column(table.name, c.name);
      if (c.default_expr) steps.push_back(destructive(alter + "DROP DEFAULT;", kEnum));
      steps.push_back(destructive(alter + "TYPE " + quote_ident(s.name) + " USING " +
                                      quote_ident(c.name) + "::text::" + quote_ident(s.name) + ";",
                                  kEnum));
      if (sc && sc->default_expr) {
        steps.push_back(destructive(alter + "SET DEFAULT " + *sc->default_expr + ";", kEnum));
      }
    }
  }
  steps.push_back(destructive("DROP TYPE " + quote_ident(old_name) + ";", kEnum));
  return steps;
}

void diff_enums(const Schema& s, const Schema& t, Collector& out) {
  for (const auto& e : s.enums) {
    const Enum* live = t.find_enum(e.name);
    if (!live) {
      out.add(DriftKind::kEnum, "", e.name, "enum " + q(e.name) + " is missing",
              {safe(create_enum(e), kEnum)});
    } else if (live->labels != e.labels) {
      auto steps = add_enum_values(e, *live);
      out.add(DriftKind::kEnum, "", e.name,
              "enum " + q(e.name) + " labels differ: expected " + join_labels(e.labels) +
                  ", found " + join_labels(live->labels),
              steps ? *steps : rebuild_enum(e, s, t));
    }
  }
  for (const auto& e : t.enums) {
    if (!s.find_enum(e.name)) {
      out.add(DriftKind::kEnum, "", e.name, "enum " + q(e.name) + " is extra",
              {destructive("DROP TYPE " + quote_ident(e.name) + ";", kDropEnum)});
    }
  }
}

const Function* find_function(const Schema& schema, const Function& f) {
  for (const auto& x : schema.functions) {
    if (x.name == f.name && x.identity_arguments == f.identity_arguments) return &x;
  }
  return nullptr;
}

void diff_functions(const Schema& s, const Schema& t, Collector& out) {
  for (const auto& f : s.functions) {
    const Function* live = find_function(t, f);
    if (!live) {
      out.add(DriftKind::kFunction, "", f.name, "function " + q(f.name) + " is missing",
              {safe(statement(f.definition), kFunction)});
    } else if (live->definition != f.definition) {
      out.add(DriftKind::kFunction, "", f.name, "function " + q(f.name) + " differs",
              {safe(statement(f.definition), kFunction)});
    }
  }
  for (const auto& f : t.functions) {
    if (!find_function(s, f)) {
      out.add(DriftKind::kFunction, "", f.name, "function " + q(f.name) + " is extra",
              {destructive(drop_function(f), kDropFunction)});
    }
  }
}

std::string sequence_summary(const Sequence& s) {
  return "AS " + s.data_type + " INCREMENT " + s.increment + " MINVALUE " + s.min + " MAXVALUE " +
         s.max + " START " + s.start + " CACHE " + s.cache + (s.cycle ? " CYCLE" : " NO CYCLE") +
         " OWNED BY " + (s.owned_by.empty() ? "NONE" : s.owned_by);
}

void diff_sequences(const Schema& s, const Schema& t, Collector& out) {
  for (const auto& seq : s.sequences) {
    auto it = std::find_if(t.sequences.begin(), t.sequences.end(),
                           [&](const Sequence& x) { return x.name == seq.name; });
    std::string what = "sequence " + q(seq.name);
    if (it == t.sequences.end()) {
      if (seq.identity) continue;  // created with its identity column
      std::vector<SqlStep> steps{safe(create_sequence(seq), kSequence)};
      if (!seq.owned_by.empty()) steps.push_back(safe(sequence_owner(seq), kSequenceOwner));
      out.add(DriftKind::kSequence, "", seq.name, what + " is missing", std::move(steps));
    } else if (sequence_summary(*it) != sequence_summary(seq)) {
      std::vector<SqlStep> steps{safe(alter_sequence(seq), kSequence)};
      if (it->owned_by != seq.owned_by) steps.push_back(safe(sequence_owner(seq), kSequenceOwner));
      out.add(DriftKind::kSequence, "", seq.name,
              what + " differs: expected " + sequence_summary(seq) + ", found " +
                  sequence_summary(*it),
              std::move(steps));
    }
  }
}

void diff_column(const std::string& table, const Column& s, const Column& t, Collector& out) {
  std::string what = "column " + col_ref(table, s.name);
  std::string alter = alter_column(table, s.name);
  auto add = [&](std::string description, std::vector<SqlStep> steps) {
    out.add(DriftKind::kColumn, table, s.name, what + " " + description, std::move(steps));
  };
  if (s.type != t.type) {
    add("type differs: expected " + s.type + ", found " + t.type,
        {destructive(alter + "TYPE " + s.type + " USING " + quote_ident(s.name) + "::" + s.type +
                         ";",
                     kColumn)});
  }
  if (s.identity != t.identity) {
    std::string sql = !s.identity ? alter + "DROP IDENTITY;"
                      : t.identity ? alter + "SET GENERATED " + *s.identity + ";"
                                   : alter + "ADD GENERATED " + *s.identity + " AS IDENTITY;";
    add("identity differs: expected " + or_none(s.identity, "none") + ", found " +
            or_none(t.identity, "none"),
        {destructive(sql, kColumn)});
  }
  if (s.generated != t.generated) {
    add("generated expression differs: expected " + or_none(s.generated, "none") + ", found " +
            or_none(t.generated, "none"),
        {destructive("ALTER TABLE " + table_ref(table) + " DROP COLUMN " + quote_ident(s.name) + ";",
                     kColumn),
         destructive("ALTER TABLE " + table_ref(table) + " ADD COLUMN " + column_definition(s) + ";",
                     kColumn)});
  }
  if (s.default_expr != t.default_expr && !s.generated && !t.generated) {
    add("default differs: expected " + or_none(s.default_expr, "no default") + ", found " +
            or_none(t.default_expr, "no default"),
        {safe(alter + (s.default_expr ? "SET DEFAULT " + *s.default_expr : "DROP DEFAULT") + ";",
              kColumn)});
  }
  if (s.not_null != t.not_null) {
    add(std::string("nullability differs: expected ") + (s.not_null ? "NOT NULL" : "nullable") +
            ", found " + (t.not_null ? "NOT NULL" : "nullable"),
        {safe(alter + (s.not_null ? "SET NOT NULL;" : "DROP NOT NULL;"), kColumn)});
  }
  if (s.comment != t.comment) {
    add("comment differs: expected " + or_none(s.comment, "none") + ", found " +
            or_none(t.comment, "none"),
        {safe(comment_on_column(table, s), kComment)});
  }
}

void diff_columns(const Table& s, const Table& t, Collector& out) {
  for (const auto& c : s.columns) {
    const Column* live = t.find_column(c.name);
    if (!live) {
      std::vector<SqlStep> steps{safe("ALTER TABLE " + table_ref(s.name) + " ADD COLUMN " +
                                          column_definition(c) + ";",
                                      kColumn)};
      if (c.comment) steps.push_back(safe(comment_on_column(s.name, c), kComment));
      out.add(DriftKind::kColumn, s.name, c.name, "column " + col_ref(s.name, c.name) + " is missing",
              std::move(steps));
    } else {
      diff_column(s.name, c, *live, out);
    }
  }
}

int drop_phase(const Constraint& c) {
  return c.type == ConstraintType::kForeignKey ? kDropForeignKey : kDropConstraint;
}

int add_phase(const Constraint& c) {
  return c.type == ConstraintType::kForeignKey ? kForeignKey : kConstraint;
}

void diff_constraints(const Table& s, const Table& t, Collector& out) {
  for (const auto& c : s.constraints) {
    const Constraint* live = t.find_constraint(c.name);
    std::string what = "constraint " + q(c.name) + " on table " + q(s.name);
    if (!live) {
      out.add(DriftKind::kConstraint, s.name, c.name, what + " is missing",
              {safe(add_constraint(s, c), add_phase(c))});
    } else if (live->definition != c.definition || live->type != c.type) {
      out.add(DriftKind::kConstraint, s.name, c.name, what + " differs",
              {destructive(drop_constraint(s.name, c.name), drop_phase(*live)),
               destructive(add_constraint(s, c), add_phase(c))});
    }
  }
  for (const auto& c : t.constraints) {
    if (!s.find_constraint(c.name)) {
      out.add(DriftKind::kConstraint, s.name, c.name,
              "constraint " + q(c.name) + " on table " + q(s.name) + " is extra",
              {destructive(drop_constraint(s.name, c.name), drop_phase(c))});
    }
  }
}

void diff_indexes(const Table& s, const Table& t, Collector& out) {
  for (const auto& i : s.indexes) {
    const Index* live = t.find_index(i.name);
    std::string what = "index " + q(i.name);
    if (!live) {
      if (!i.constraint) {  // otherwise created with its constraint
        out.add(DriftKind::kIndex, s.name, i.name, what + " is missing",
                {safe(statement(i.definition), kIndex)});
      }
    } else if (live->definition != i.definition) {
      const Constraint* c = i.constraint ? s.find_constraint(*i.constraint) : nullptr;
      std::vector<SqlStep> steps;
      if (c) {
        steps = {destructive(drop_constraint(s.name, c->name), drop_phase(*c)),
                 destructive(add_constraint(s, *c), add_phase(*c))};
      } else {
        steps = {destructive("DROP INDEX " + quote_ident(i.name) + ";", kDropIndex),
                 destructive(statement(i.definition), kIndex)};
      }
      out.add(DriftKind::kIndex, s.name, i.name, what + " differs", std::move(steps));
    }
  }
}

void diff_triggers(const Table& s, const Table& t, Collector& out) {
  for (const auto& g : s.triggers) {
    const Trigger* live = t.find_trigger(g.name);
    std::string what = "trigger " + q(g.name);
    if (!live) {
      out.add(DriftKind::kTrigger, s.name, g.name, what + " is missing",
              {safe(statement(g.definition), kTrigger)});
    } else if (live->definition != g.definition) {
      out.add(DriftKind::kTrigger, s.name, g.name, what + " differs",
              {safe(replace_trigger(g), kTrigger)});
    }
  }
}

void diff_tables(const Schema& s, const Schema& t, Collector& out) {
  for (const auto& table : s.tables) {
    const Table* live = t.find_table(table.name);
    if (!live) {
      std::vector<SqlStep> steps{safe(create_table(table), kTable)};
      for (auto& step : table_objects(table)) steps.push_back(std::move(step));
      out.add(DriftKind::kTable, table.name, "", "table " + q(table.name) + " is missing",
              std::move(steps));
      continue;
    }
    diff_columns(table, *live, out);
    diff_constraints(table, *live, out);
    diff_indexes(table, *live, out);
    diff_triggers(table, *live, out);
  }
}

void diff_overrides(const Schema& s, const Schema& t, Collector& out) {
  std::map<std::string, const OverrideRow*> live;
  for (const auto& r : t.overrides) live[r.name] = &r;
  for (const auto& r : s.overrides) {
    auto it = live.find(r.name);
    std::string what = "migration override " + q(r.name);
    if (it == live.end()) {
      out.add(DriftKind::kOverride, "", r.name, what + " is missing",
              {safe("INSERT INTO migration_overrides (name, value) VALUES (" +
                        quote_literal(r.name) + ", " + override_value(r) + ");",
                    kOverride)});
      continue;
    }
    const OverrideRow& l = *it->second;
    if (l.type != r.type || l.object_name != r.object_name || l.sql != r.sql) {
      out.add(DriftKind::kOverride, "", r.name, what + " differs",
              {safe("UPDATE migration_overrides SET value = " + override_value(r) +
                        " WHERE name = " + quote_literal(r.name) + ";",
                    kOverride)});
    }
    live.erase(it);
  }
  for (const auto& [name, row] : live) {
    out.add(DriftKind::kOverride, "", name, "migration override " + q(name) + " is extra",
            {destructive("DELETE FROM migration_overrides WHERE name = " + quote_literal(name) + ";",
                         kDeleteOverride)});
  }
}

}  // namespace

const char* safety_name(Safety safety) {
  return safety == Safety::kSafe ? "SAFE" : "DESTRUCTIVE";
}

Safety DriftItem::safety() const {
  for (const auto& s : steps) {
    if (s.safety == Safety::kDestructive) return Safety::kDestructive;
  }
  return Safety::kSafe;
}

std::vector<DriftItem> diff_schemas(const Schema& source, const Schema& target,
                                    const DiffOptions& options) {
  Collector out;
  diff_extensions(source, target, out);
  diff_settings(source, target, options, out);
  diff_enums(source, target, out);
  diff_functions(source, target, out);
  diff_sequences(source, target, out);
  diff_tables(source, target, out);
  diff_overrides(source, target, out);
  return out.sorted();
}

std::vector<SqlStep> ordered_steps(const std::vector<DriftItem>& items) {
  std::vector<SqlStep> steps;
  for (const auto& item : items) steps.insert(steps.end(), item.steps.begin(), item.steps.end());
  std::stable_sort(steps.begin(), steps.end(),
                   [](const SqlStep& a, const SqlStep& b) { return a.phase < b.phase; });
  return steps;
}

std::string render_sql(const std::vector<DriftItem>& items) {
  std::string out;
  for (const auto& step : ordered_steps(items)) {
    if (step.safety == Safety::kDestructive) out += "-- DESTRUCTIVE\n";
    out += step.sql + "\n";
  }
  return out;
}

}  // namespace keepsake::schema
