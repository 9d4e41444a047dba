// SPDX-License-Identifier: Apache-2.0
#include "app/cli_options.h"

namespace meterd {

CliOptions parse_cli(const std::vector<std::string>& args) {
  CliOptions options;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "--config" || arg == "-c") {
      if (i + 1 >= args.size()) {
        options.error = arg + " needs a file";
        return options;
      }
      options.config_path = args[++i];
    } else if (arg.starts_with("--config=")) {
      options.config_path = arg.substr(9);
    } else if (arg == "--plugin-dir") {
      if (i + 1 >= args.size() || args[i + 1].empty()) {
        options.error = arg + " needs a folder";
        return options;
      }
      options.plugin_dir = args[++i];
    } else if (arg.starts_with("--plugin-dir=") && arg.size() > 13) {
      options.plugin_dir = arg.substr(13);
    } else if (arg == "--check-config") {
      options.check_config = true;
    } else if (arg == "--version" || arg == "-V") {
      options.show_version = true;
    } else if (arg == "--help" || arg == "-h") {
      options.show_help = true;
    } else {
      options.error = "unknown argument '" + arg + "'";
      return options;
    }
  }
  return options;
}

std::string usage_text() {
  return "Usage: meterd [--config FILE] [--plugin-dir DIR] [--check-config] [--version] [--help]\n"
         "\n"
         "Edge gateway daemon for prepaid electricity metering: polls meters through\n"
         "protocol plugins, keeps readings in SQLite and syncs them over MQTT.\n"
         "\n"
         "  -c, --config FILE   configuration file (default /etc/meterd/meterd.yaml)\n"
         "      --plugin-dir DIR  load protocol plugins from DIR (also METERD_PLUGIN_DIR);\n"
         "                      wins over plugin_dir in the file. Default: the file's\n"
         "                      plugin_dir, else the plugins built beside a binary run from\n"
         "                      its build tree, else the installed plugin folder\n"
         "      --check-config  validate the configuration and its plugins' settings, print\n"
         "                      every error as file:line:col: message, exit 0 or 78\n"
         "  -V, --version       print the version and exit\n"
         "  -h, --help          print this help and exit\n"
         "\n"
         "Exit codes: 0 done; 1 start-up failed; 64 bad arguments; 73 the store is in use by\n"
         "another meterd (its pid is named); 78 bad configuration.\n"
         "\n"
         "Signals: SIGTERM/SIGINT finish the current work, flush the store and exit 0;\n"
         "SIGHUP reloads the configuration (a bad one is rejected and the running one stays).\n";
}

}  // namespace meterd
