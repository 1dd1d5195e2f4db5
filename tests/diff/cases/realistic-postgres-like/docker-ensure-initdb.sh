#!/bin/sh
set -e
echo ensure
