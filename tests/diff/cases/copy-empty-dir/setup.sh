mkdir -p empty tree/empty-inner tree/x; echo x > tree/x/x
