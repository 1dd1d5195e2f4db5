mkdir d; echo x > d/f; mkfifo d/pipe; mkfifo -m 0640 pipe
