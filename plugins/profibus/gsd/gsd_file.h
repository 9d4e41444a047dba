// SPDX-License-Identifier: Apache-2.0
// A PROFIBUS DP device description (GSD, ISO-8859-1 text) as far as a DP-V0 master needs it:
// the ident number, the baud rates the slave supports with their MaxTsdr, Min_Slave_Intervall,
// the user parameter data (User_Prm_Data, or Ext_User_Prm_Data_Const/_Ref with the
// ExtUserPrmData defaults), and the modules with their Chk_Cfg identifier bytes and module
// parameter data. Keywords the master has no use for are skipped; syntax errors and missing
// essentials are reported as file:line:col. Start-up only; pure apart from load_gsd's read.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/settings.h"

namespace meterd::profibus {

struct GsdModule {
  std::string name;
  std::vector<std::uint8_t> cfg;
  std::vector<std::uint8_t> prm;  // module parameter data, appended after the slave's
  SourcePos pos;
};

struct GsdFile {
  std::string path;
  std::string vendor;
  std::string model;
  std::uint16_t ident = 0;
  std::map<int, int> max_tsdr;  // supported baud (bit/s) -> MaxTsdr (bit times; 0 = not given)
  int min_slave_interval_100us = 1;
  bool modular = false;
  int max_module = 1;
  std::vector<std::uint8_t> user_prm;
  std::vector<GsdModule> modules;

  bool supports(int baud) const { return max_tsdr.contains(baud); }
  const GsdModule* find_module(std::string_view name) const;
};

// `file` names the text in positions.
std::optional<GsdFile> parse_gsd(std::string_view text, const std::string& file,
                                 ConfigErrors& errors);
// Reads and parses; an unreadable file is reported at `used_at`.
std::optional<GsdFile> load_gsd(const std::string& path, const SourcePos& used_at,
                                ConfigErrors& errors);

// The GSD keyword of a baud rate ("19.2" for 19200), empty when none.
std::string gsd_baud_name(int baud);

}  // namespace meterd::profibus
