# The pyautopsy executable links libstdc++, libgcc, fmt, elfutils, the
# compression libraries and libm statically, leaving only libc to the dynamic
# linker; the shared front ends (libpyautopsy.so, the LLDB plugin) and the test
# programs link the same libraries dynamically, as before.
# The installed executable (`make install`, the Debian package) links them
# dynamically too, as a distribution's packages must: cli/CMakeLists.txt
# links the same objects twice.
#
# Why (issue 18): a report reads a core in ~10 ms of CPU, and loading eleven
# shared libraries cost ~3 ms more on every run: mapping them, ~2,100 symbol
# relocations and one RELRO mprotect each, and the page faults of all that,
# which are dear on a virtual machine. With them linked in, `pyautopsy
# --version` went from 10.0 to 7.0 ms and the threads_abort core of 3.11 from
# 21.6 to 18.5 ms (median of 40 interleaved runs), peak RSS from 8.0 to 6.8 MiB.
#
# How: every dependency the core libraries link is reached through an interface
# target pyautopsy_dep_<name>, which resolves to the shared library, or, for a
# target whose PYAUTOPSY_STATIC_DEPS property is true (the executable being
# linked: $<TARGET_PROPERTY:...> names the consumer at the head of the link),
# to the archives. Compile flags of the core libraries do not change.
option(PYAUTOPSY_STATIC_CLI "Link the pyautopsy executable's libraries statically, all but libc" ON)

set(PYAUTOPSY_STATIC_CLI_ACTIVE OFF)
if(PYAUTOPSY_STATIC_CLI AND NOT PYAUTOPSY_SANITIZE AND NOT PYAUTOPSY_TSAN AND NOT PYAUTOPSY_FUZZ)
  # In the order the linker needs them: each archive before the ones it uses.
  # libm last: libstdc++'s floating-point to_chars needs two of its functions
  # (fegetround, fesetround), which alone were worth mapping libm.so (~0.3 ms).
  set(PYAUTOPSY_STATIC_ARCHIVES dw elf zstd lz4 lzma bz2 z m)
  set(PYAUTOPSY_STATIC_ARCHIVE_PATHS)
  set(missing)
  foreach(name IN LISTS PYAUTOPSY_STATIC_ARCHIVES)
    find_library(PYAUTOPSY_ARCHIVE_${name} NAMES lib${name}.a)
    if(PYAUTOPSY_ARCHIVE_${name})
      list(APPEND PYAUTOPSY_STATIC_ARCHIVE_PATHS ${PYAUTOPSY_ARCHIVE_${name}})
    else()
      list(APPEND missing lib${name}.a)
    endif()
  endforeach()
  include(CheckCXXSourceCompiles)
  set(CMAKE_REQUIRED_LINK_OPTIONS -static-libstdc++ -static-libgcc)
  check_cxx_source_compiles("#include <string>\nint main() { return static_cast<int>(std::string(\"x\").size()) - 1; }"
                            PYAUTOPSY_HAVE_STATIC_LIBSTDCXX)
  unset(CMAKE_REQUIRED_LINK_OPTIONS)
  if(NOT PYAUTOPSY_HAVE_STATIC_LIBSTDCXX)
    list(APPEND missing libstdc++.a)
  endif()
  if(missing)
    message(STATUS "pyautopsy links its libraries dynamically: no ${missing}")
  else()
    set(PYAUTOPSY_STATIC_CLI_ACTIVE ON)
  endif()
endif()

if(PYAUTOPSY_STATIC_CLI_ACTIVE)
  add_library(pyautopsy_static_archives INTERFACE)
  target_link_libraries(pyautopsy_static_archives INTERFACE ${PYAUTOPSY_STATIC_ARCHIVE_PATHS} Threads::Threads)
endif()

# pyautopsy_dependency(<name> <shared target> [<static target>]): the
# interface target pyautopsy_dep_<name> described above. Without a static
# target, the archives stand in for the shared one.
function(pyautopsy_dependency name shared)
  add_library(pyautopsy_dep_${name} INTERFACE)
  if(NOT PYAUTOPSY_STATIC_CLI_ACTIVE)
    target_link_libraries(pyautopsy_dep_${name} INTERFACE ${shared})
    return()
  endif()
  set(static pyautopsy_static_archives)
  if(ARGC GREATER 2)
    set(static ${ARGV2})
  endif()
  set(wantsStatic "$<BOOL:$<TARGET_PROPERTY:PYAUTOPSY_STATIC_DEPS>>")
  target_link_libraries(pyautopsy_dep_${name} INTERFACE
    "$<$<NOT:${wantsStatic}>:${shared}>"
    "$<${wantsStatic}:${static}>")
endfunction()

find_package(Threads REQUIRED)
find_package(ZLIB REQUIRED)
pkg_check_modules(LIBZSTD REQUIRED IMPORTED_TARGET libzstd)
pkg_check_modules(LIBLZ4 REQUIRED IMPORTED_TARGET liblz4)
pkg_check_modules(LIBLZMA REQUIRED IMPORTED_TARGET liblzma)
pyautopsy_dependency(elf PkgConfig::LIBELF)
pyautopsy_dependency(dw PkgConfig::LIBDW)
pyautopsy_dependency(zstd PkgConfig::LIBZSTD)
pyautopsy_dependency(lz4 PkgConfig::LIBLZ4)
pyautopsy_dependency(lzma PkgConfig::LIBLZMA)
pyautopsy_dependency(zlib ZLIB::ZLIB)
# fmt has no archive in Debian: cli/FmtStatic.cpp compiles its few
# out-of-line functions into the executable.
pyautopsy_dependency(fmt fmt::fmt pyautopsy_fmt_static)

# The code a run executes, laid out together (cli/text-order.txt, written by
# tools/textorder): a `core` run executes ~1 MiB of the 3.5 MiB of machine
# code, and every 64 KiB of it that is touched costs a page fault (~30 us on a
# VM). GNU ld cannot order functions by name; lld can. Without lld the
# executable is linked as before, only slower to start.
set(PYAUTOPSY_TEXT_ORDER_ACTIVE OFF)
if(PYAUTOPSY_STATIC_CLI_ACTIVE)
  set(PYAUTOPSY_TEXT_ORDER ${PROJECT_SOURCE_DIR}/cli/text-order.txt)
  set(CMAKE_REQUIRED_LINK_OPTIONS -fuse-ld=lld)
  check_cxx_source_compiles("int main() { return 0; }" PYAUTOPSY_HAVE_LLD)
  unset(CMAKE_REQUIRED_LINK_OPTIONS)
  if(PYAUTOPSY_HAVE_LLD)
    set(PYAUTOPSY_TEXT_ORDER_ACTIVE ON)
    # A function of ours in a section of its own, so that the order moves it
    # and not the whole of its file's code.
    add_compile_options(-ffunction-sections)
  else()
    message(STATUS "pyautopsy's code is laid out in the default order: no lld (Debian package lld)")
  endif()
endif()

# pyautopsy_static_executable(<target>): links <target> as described above.
function(pyautopsy_static_executable target)
  if(NOT PYAUTOPSY_STATIC_CLI_ACTIVE)
    return()
  endif()
  set_target_properties(${target} PROPERTIES PYAUTOPSY_STATIC_DEPS ON)
  target_link_options(${target} PRIVATE -static-libstdc++ -static-libgcc)
  if(PYAUTOPSY_TEXT_ORDER_ACTIVE)
    # Names the order file lists but the code no longer has are skipped.
    target_link_options(${target} PRIVATE -fuse-ld=lld "-Wl,--symbol-ordering-file=${PYAUTOPSY_TEXT_ORDER}"
                        -Wl,--no-warn-symbol-ordering)
    set_property(TARGET ${target} APPEND PROPERTY LINK_DEPENDS ${PYAUTOPSY_TEXT_ORDER})
  endif()
endfunction()
