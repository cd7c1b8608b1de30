import threading

counter = 0


def work() -> None:
    global counter
    for _ in range(1000):
        counter += 1


threads = [threading.Thread(target=work) for _ in range(4)]
