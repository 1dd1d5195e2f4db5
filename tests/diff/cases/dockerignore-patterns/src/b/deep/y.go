src/b/deep/y.go
