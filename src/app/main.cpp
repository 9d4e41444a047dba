// Placeholder until the daemon's composition root lands.
int main() { return 0; }
