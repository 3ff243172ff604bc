# Seed 000's functions, copied exactly from the article
# ("[Python] Sharing Arrays Between Processes Using multiprocessing.Array");
# only the `if __name__ == "__main__":` block and main() are left out. The scenarios
# seed000_article_*.yaml call them on the harness's instrumented shared array.
import multiprocessing
import time
import os

def increment_array_elements(shared_array: multiprocessing.Array, loop_count: int):
    """
    Increments all elements of the shared array for a specified number of loops.
    """
    pid = os.getpid()
    print(f"[Process-{pid}] Started")
    
    for _ in range(loop_count):
        # Iterate through all elements of the array
        for i in range(len(shared_array)):
            # Acquire lock when writing to each element (Exclusive control)
            with shared_array.get_lock():
                shared_array[i] += 1
            
        # Simulate processing delay
        time.sleep(0.001)
        
    print(f"[Process-{pid}] Finished")

def compute_part(shared_arr, start_index, end_index, value):
    """
    Modify only the assigned index range (No lock needed as indices don't overlap)
    """
    for i in range(start_index, end_index):
        shared_arr[i] = value
