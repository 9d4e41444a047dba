# SPDX-License-Identifier: Apache-2.0
# Debian packages: `scripts/package.sh` (or `cpack -G DEB` in a build folder).
#   meterd       the daemon, meterctl, the protocol plugins, the unit, /etc/meterd (conffiles),
#                man pages and docs; maintainer scripts in packaging/debian.
#   meterd-sim   the simulated-meter plugin, the bus simulators and the demo configuration:
#                what a test bench or a demo needs, never a production box.
# Binaries are stripped; their debug symbols go into meterd-dbgsym / meterd-sim-dbgsym (.ddeb).
set(METERD_MAINTAINER "meterd maintainers <maintainers@meterd.invalid>" CACHE STRING
    "Maintainer field of the Debian packages (Name <address>)")

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME meterd)
set(CPACK_PACKAGE_VENDOR "meterd project")
set(CPACK_PACKAGE_CONTACT "${METERD_MAINTAINER}")
set(CPACK_PACKAGE_VERSION "${PROJECT_VERSION}")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
# No CPACK_STRIP_FILES: CPackDeb's debuginfo step splits the symbols off and strips itself
# (with the files already stripped it would find nothing to put into -dbgsym).
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_COMPONENTS_ALL daemon sim)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "${METERD_MAINTAINER}")
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_DEBUGINFO_PACKAGE ON)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION TRUE)

set(CPACK_DEBIAN_DAEMON_PACKAGE_NAME meterd)
set(CPACK_DEBIAN_DAEMON_PACKAGE_DEPENDS "adduser, init-system-helpers (>= 1.54~), tzdata")
set(CPACK_DEBIAN_DAEMON_DESCRIPTION "edge gateway daemon for prepaid electricity metering
meterd polls prepaid electricity meters on field buses (Modbus RTU/TCP,
DL/T 645, PROFIBUS DP, LonWorks) through protocol plugins and runs the
prepaid rules locally: tariffs, alarms, cut-off at zero and restore on
recharge, load and time control. Every reading, event and command is
kept in an SQLite store and synced with a cloud broker over MQTT with
store-and-forward; recharge, refund, relay and parameter commands are
applied exactly once. meterctl is the technician's local tool.")
set(CPACK_DEBIAN_DAEMON_PACKAGE_CONTROL_EXTRA
    "${CMAKE_SOURCE_DIR}/packaging/debian/postinst;${CMAKE_SOURCE_DIR}/packaging/debian/prerm;${CMAKE_SOURCE_DIR}/packaging/debian/postrm;${CMAKE_BINARY_DIR}/packaging/conffiles")

set(CPACK_DEBIAN_SIM_PACKAGE_NAME meterd-sim)
set(CPACK_DEBIAN_SIM_PACKAGE_DEPENDS "meterd (= ${PROJECT_VERSION})")
set(CPACK_DEBIAN_SIM_PACKAGE_SECTION net)
set(CPACK_DEBIAN_SIM_DESCRIPTION "simulated meters and bus simulators for meterd
The meterd plugin of simulated prepaid meters, the bus simulators
(Modbus, DL/T 645, PROFIBUS DP, LonWorks: the real wire protocol on a
serial device, TCP or UDP port) and the demo configuration. For test
benches and demonstrations; a production gateway does not need it.")

# Every file meterd installs under /etc/meterd is a conffile: an admin's edit survives upgrades.
file(GLOB _meterd_profiles RELATIVE "${CMAKE_SOURCE_DIR}/config/profiles"
     "${CMAKE_SOURCE_DIR}/config/profiles/*")
set(_meterd_conffiles "/etc/meterd/meterd.yaml\n")
foreach(_profile IN LISTS _meterd_profiles)
  string(APPEND _meterd_conffiles "/etc/meterd/profiles/${_profile}\n")
endforeach()
file(WRITE "${CMAKE_BINARY_DIR}/packaging/conffiles" "${_meterd_conffiles}")

include(CPack)
