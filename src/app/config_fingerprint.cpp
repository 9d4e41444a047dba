// SPDX-License-Identifier: Apache-2.0
#include "app/config_fingerprint.h"

#include <openssl/evp.h>

#include <array>
#include <fstream>
#include <iterator>
#include <memory>

#include "config/drop_in_files.h"

namespace meterd {
namespace {

bool add_file(EVP_MD_CTX* ctx, const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  // The length first, so moving bytes from one file to the next changes the fingerprint.
  const std::string header = path + "\n" + std::to_string(bytes.size()) + "\n";
  EVP_DigestUpdate(ctx, header.data(), header.size());
  EVP_DigestUpdate(ctx, bytes.data(), bytes.size());
  return true;
}

}  // namespace

std::string config_fingerprint(const std::string& main_file) {
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  if (!ctx || EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr) != 1) return "";
  if (!add_file(ctx.get(), main_file)) return "";
  ConfigErrors ignored;  // a drop-in folder that cannot be listed was refused at load already
  for (const std::string& drop_in : list_drop_ins(drop_in_folder(main_file), ignored)) {
    add_file(ctx.get(), drop_in);
  }
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int length = 0;
  if (EVP_DigestFinal_ex(ctx.get(), digest.data(), &length) != 1) return "";
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "sha256:";
  for (unsigned int i = 0; i < length; ++i) {
    out += kHex[digest[i] >> 4];
    out += kHex[digest[i] & 0xf];
  }
  return out;
}

}  // namespace meterd
