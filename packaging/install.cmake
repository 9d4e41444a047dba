# SPDX-License-Identifier: Apache-2.0
# What `make install` and the packages hold (components: daemon -> meterd, sim -> meterd-sim;
# packaging/cpack.cmake). Targets install themselves in their own CMakeLists.txt.
find_program(METERD_PYTHON3 python3 REQUIRED)
find_program(METERD_GZIP gzip REQUIRED)

# The site file ships without a site (packaging/meterd.yaml): the service starts once it has one.
install(FILES packaging/meterd.yaml DESTINATION /etc/meterd COMPONENT daemon)
install(FILES config/meterd.yaml DESTINATION ${CMAKE_INSTALL_DATADIR}/doc/meterd/examples
        RENAME meterd-reference.yaml COMPONENT daemon)
install(DIRECTORY config/profiles DESTINATION /etc/meterd COMPONENT daemon)
# The site's drop-ins (docs/fleet.md): empty, for configuration management to fill.
install(DIRECTORY DESTINATION /etc/meterd/conf.d COMPONENT daemon)
# Debian 12 keeps units in /lib (the /usr merge moves them later, with dpkg's help).
install(FILES systemd/meterd.service DESTINATION /lib/systemd/system COMPONENT daemon)
install(FILES README.md DESTINATION ${CMAKE_INSTALL_DATADIR}/doc/meterd COMPONENT daemon)
install(DIRECTORY docs/ DESTINATION ${CMAKE_INSTALL_DATADIR}/doc/meterd COMPONENT daemon
        FILES_MATCHING PATTERN "*.md")
install(FILES config/demo.yaml DESTINATION ${CMAKE_INSTALL_DATADIR}/doc/meterd-sim/examples
        COMPONENT sim)

# copyright and the compressed changelog in each package's doc folder (Debian policy 12.5, 12.7).
set(_changelog_gz "${CMAKE_BINARY_DIR}/packaging/changelog.gz")
add_custom_command(OUTPUT "${_changelog_gz}"
  COMMAND ${METERD_GZIP} -9nc "${CMAKE_SOURCE_DIR}/packaging/debian/changelog" > "${_changelog_gz}"
  DEPENDS "${CMAKE_SOURCE_DIR}/packaging/debian/changelog" VERBATIM)
foreach(_package IN ITEMS meterd meterd-sim)
  set(_component daemon)
  if(_package STREQUAL meterd-sim)
    set(_component sim)
  endif()
  install(FILES packaging/debian/copyright "${_changelog_gz}"
          DESTINATION ${CMAKE_INSTALL_DATADIR}/doc/${_package} COMPONENT ${_component})
endforeach()

# Man pages rendered from the docs (scripts/md2man.py), gzipped.
set(_man_pages
  "meterd|8|docs/meterd.md|prepaid electricity metering gateway daemon|meterd [--config FILE] [--plugin-dir DIR] [--check-config]"
  "meterctl|8|docs/meterctl.md|local control of a running meterd|meterctl [--socket PATH] [--json] [--timeout S] COMMAND [ARGS]"
  "meterd.yaml|5|docs/config-format.md|meterd configuration file|/etc/meterd/meterd.yaml")
set(_man_outputs)
foreach(_page IN LISTS _man_pages)
  string(REPLACE "|" ";" _fields "${_page}")
  list(GET _fields 0 _name)
  list(GET _fields 1 _section)
  list(GET _fields 2 _source)
  list(GET _fields 3 _summary)
  list(GET _fields 4 _synopsis)
  set(_roff "${CMAKE_BINARY_DIR}/man/${_name}.${_section}")
  add_custom_command(OUTPUT "${_roff}.gz"
    COMMAND ${CMAKE_COMMAND} -E make_directory "${CMAKE_BINARY_DIR}/man"
    COMMAND ${METERD_PYTHON3} "${CMAKE_SOURCE_DIR}/scripts/md2man.py" "${CMAKE_SOURCE_DIR}/${_source}"
            "${_roff}" "${_name}" "${_section}" "${PROJECT_VERSION}" "${_summary}"
            --synopsis "${_synopsis}"
    COMMAND ${METERD_GZIP} -9nf "${_roff}"
    DEPENDS "${CMAKE_SOURCE_DIR}/${_source}" "${CMAKE_SOURCE_DIR}/scripts/md2man.py" VERBATIM)
  list(APPEND _man_outputs "${_roff}.gz")
  install(FILES "${_roff}.gz" DESTINATION ${CMAKE_INSTALL_MANDIR}/man${_section} COMPONENT daemon)
endforeach()
add_custom_target(meterd_docs ALL DEPENDS ${_man_outputs} "${_changelog_gz}")
