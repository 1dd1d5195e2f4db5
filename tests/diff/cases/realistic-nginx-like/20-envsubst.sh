echo envsubst
