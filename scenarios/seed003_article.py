# Seed 003's functions, copied exactly from the article
# ("Python IPC: Sharing Arrays Across Processes with Array"), in the article's order;
# only the `if __name__ == "__main__":` blocks are left out. The scenarios
# seed003_article_*.yaml call them on the harness's instrumented shared array.
from multiprocessing import Process, Array
import time
import random


def update_speed(car_speeds, index):

    for _ in range(5):

        # Randomly change speed between 20 and 100
        new_speed = random.randint(20, 100)
        car_speeds[index] = new_speed
        print(f"Car {index + 1} speed updated to: {new_speed}")
        time.sleep(0.5)


def car_one(array):

    for _ in range(3):

        speed = random.randint(40, 80)
        array[0] = speed

        print(f"Car One speed: {speed}")

        time.sleep(0.5)


def car_two(array):

    for _ in range(3):

        speed = random.randint(60, 100)
        array[1] = speed

        print(f"Car Two speed: {speed}")

        time.sleep(0.5)


def update_car_speeds(speeds):

    for i in range(5):

        for j in range(len(speeds)):
            speeds[j] = random.randint(50, 100)

        time.sleep(1)


def monitor_speeds(speeds):

    for _ in range(5):
        print("Current speeds:", list(speeds))
        time.sleep(1)


def writer(shared_array):

    for i in range(5):

        for j in range(len(shared_array)):
            shared_array[j] += 1

        print(f"Writer updated array to: {list(shared_array)}")

        time.sleep(0.5)


def reader(shared_array):

    for i in range(5):
        print(f"Reader sees array: {list(shared_array)}")

        time.sleep(0.5)


def move_robot(robot_id, positions):

    # Each robot updates its x and y position (2 slots per robot)
    start = robot_id * 2

    for _ in range(5):

        positions[start] = random.randint(0, 100)   # x-coordinate
        positions[start + 1] = random.randint(0, 100)  # y-coordinate

        print(f"Robot {robot_id} moved to ({positions[start]}, {positions[start + 1]})")

        time.sleep(0.3)
