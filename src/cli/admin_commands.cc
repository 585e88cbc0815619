// `keepsake admin` (users): create the first admin and reset a password. Passwords come from
// standard input (first line) or a prompt without echo, never from argv, and are never printed.
#include <termios.h>
#include <unistd.h>

#include <iostream>
#include <string>

#include "auth/auth_service.h"
#include "cli/commands.h"
#include "common/error.h"
#include "db/pool.h"
#if __has_include("migrations/boot.h")
#include "migrations/boot.h"
#define KEEPSAKE_HAS_DATABASE_BOOT 1
#endif

namespace keepsake::cli {
namespace {

std::string read_password(const std::string& prompt) {
  std::string password;
  if (isatty(STDIN_FILENO)) {
    std::cerr << prompt << std::flush;
    termios old_mode{};
    tcgetattr(STDIN_FILENO, &old_mode);
    termios silent = old_mode;
    silent.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    tcsetattr(STDIN_FILENO, TCSANOW, &silent);
    std::getline(std::cin, password);
    tcsetattr(STDIN_FILENO, TCSANOW, &old_mode);
    std::cerr << "\n";
  } else {
    std::getline(std::cin, password);
  }
  while (!password.empty() && (password.back() == '\n' || password.back() == '\r')) {
    password.pop_back();
  }
  if (password.empty()) {
    throw Error(ErrorKind::kInvalidArgument, "No password given",
                "type it at the prompt or pipe it on standard input");
  }
  return password;
}

// Runs fn with an AuthService on a booted database; stops an embedded cluster started here.
template <typename Fn>
void with_auth(app::AppContext& c, Fn fn) {
  c.ensure_database_running();
  try {
#ifdef KEEPSAKE_HAS_DATABASE_BOOT
    migrations::run_database_boot(c.database(), migrations::boot_options_from_config(c.config()));
#endif
    db::Pool pool(c.database(), 1);
    auth::AuthService service(pool);
    fn(service);
  } catch (...) {
    c.stop_embedded();
    throw;
  }
  c.stop_embedded();
}

}  // namespace

void register_admin_commands(CLI::App& app, ContextProvider& ctx) {
  auto* admin = app.add_subcommand("admin", "Users: the first admin, password resets");
  admin->require_subcommand(1);

  auto* create = admin->add_subcommand(
      "create", "Create the first admin (password from standard input or a prompt)");
  static std::string create_email, create_name;
  create->add_option("--email", create_email, "the admin's email")->required();
  create->add_option("--name", create_name, "the admin's name")->required();
  create->callback([&ctx] {
    std::string password = read_password("Password for " + create_email + ": ");
    with_auth(ctx.get(), [&](auth::AuthService& service) {
      auto user = service.admin_sign_up(create_email, password, create_name);
      std::cout << "Created admin " << user.email << " (" << user.id << ")\n";
    });
  });

  auto* reset = admin->add_subcommand(
      "reset-password", "Set a user's password (from standard input or a prompt)");
  static std::string reset_email;
  reset->add_option("--email", reset_email, "the user's email")->required();
  reset->callback([&ctx] {
    std::string password = read_password("New password for " + reset_email + ": ");
    with_auth(ctx.get(), [&](auth::AuthService& service) {
      service.reset_password(reset_email, password);
      std::cout << "Password changed for " << reset_email << "\n";
    });
  });
}

}  // namespace keepsake::cli
