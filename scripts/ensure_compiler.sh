#!/bin/sh
# Install Debian's g++ when no C++ compiler is there and we can (root, apt-get): the native LSTM
# kernel is built with it and the tests hold it to Keras' LSTM. Otherwise say so: training and
# the tests then use TensorFlow's BlockLSTM kernel instead.
if [ -n "$CXX" ] && command -v "$CXX" >/dev/null 2>&1; then exit 0; fi
if command -v g++ >/dev/null 2>&1 || command -v c++ >/dev/null 2>&1; then exit 0; fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "Installing g++ (Debian package) for the native LSTM kernel..."
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq g++ >/dev/null && exit 0
  echo "Could not install g++; training and tests use TensorFlow's BlockLSTM kernel." >&2
  exit 0
fi
echo "No C++ compiler and none can be installed here (needs root and apt-get); training and tests" \
     "use TensorFlow's BlockLSTM kernel. Install one with: sudo apt-get install g++" >&2
