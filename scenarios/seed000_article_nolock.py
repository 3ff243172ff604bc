# Seed 000's increment_array_elements with one line removed: the
# `with shared_array.get_lock():` around `shared_array[i] += 1` (its body dedented).
# Without it, two processes' read-modify-writes interleave and increments are lost;
# scenarios/seed000_article_nolock_canary.yaml proves the harness sees that.
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
            shared_array[i] += 1
            
        # Simulate processing delay
        time.sleep(0.001)
        
    print(f"[Process-{pid}] Finished")
