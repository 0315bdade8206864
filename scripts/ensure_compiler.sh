#!/bin/sh
# Debian's g++ for the native LSTM kernel, which the tests hold to Keras' LSTM, when no C++
# compiler is there and we can install one. Otherwise training and the tests use TensorFlow's
# BlockLSTM kernel instead.
if [ -n "$CXX" ] && command -v "$CXX" >/dev/null 2>&1; then exit 0; fi
if command -v g++ >/dev/null 2>&1 || command -v c++ >/dev/null 2>&1; then exit 0; fi
exec sh "$(dirname "$0")/apt_install.sh" g++ "the native LSTM kernel" \
  "training and tests use TensorFlow's BlockLSTM kernel"
