# Thin wrapper over CMake: the targets people and CI type.
BUILD_DIR := build
ASAN_DIR := build-asan
GCC ?= gcc
CLANG ?= clang
JOBS := $(shell nproc)
# CI gets -Werror; a local build only warns, even after a CI run in the same tree.
WERROR := -DXENEMU_WERROR=$(if $(CI),ON,OFF)

.PHONY: all deps build demo check bench clean

all: build

deps:
	@scripts/install-deps.sh

build: deps
	cmake -S . -B $(BUILD_DIR) -DCMAKE_BUILD_TYPE=Release -DCMAKE_C_COMPILER=$(GCC) $(WERROR)
	cmake --build $(BUILD_DIR) -j$(JOBS)

demo: build
	scripts/demo.sh

# Each ctest run comes right after its build, so a failing suite's summary
# is the last thing printed; the sanitizer suite runs only if the first passed.
check: build
	cd $(BUILD_DIR) && ctest --output-on-failure -j2
	cmake -S . -B $(ASAN_DIR) -DCMAKE_BUILD_TYPE=Debug -DCMAKE_C_COMPILER=$(CLANG) -DXENEMU_SANITIZE=ON $(WERROR)
	cmake --build $(ASAN_DIR) -j$(JOBS)
	cd $(ASAN_DIR) && ctest --output-on-failure -j2

bench: build
	@if [ -f $(BUILD_DIR)/bench/mips ] && [ -x $(BUILD_DIR)/bench/mips ]; then \
		$(BUILD_DIR)/bench/mips; \
	else \
		echo "make bench: $(BUILD_DIR)/bench/mips is not built yet"; \
	fi

clean:
	rm -rf $(BUILD_DIR) $(ASAN_DIR)
