src/a/x_test.go
