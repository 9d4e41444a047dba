# A .deb of meterd: `cpack -G DEB` in the build folder (after scripts/build.sh).
# Installs the daemon, its plugins, the unit, the configs as conffiles and a system user.
set(CPACK_PACKAGE_NAME meterd)
set(CPACK_PACKAGE_VENDOR "meterd project")
set(CPACK_PACKAGE_CONTACT "meterd maintainers")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "Edge gateway daemon for prepaid electricity metering")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    "${CMAKE_SOURCE_DIR}/packaging/debian/postinst;${CMAKE_SOURCE_DIR}/packaging/debian/conffiles")
include(CPack)
